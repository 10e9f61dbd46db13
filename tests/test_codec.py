"""Codec.encode / decode refuse what they cannot code correctly, and convert the usual audio arrays.

A NaN used to turn every later frame's codes into 0, length=-5 cropped 5 samples off, and a length beyond
F x hop was cut silently; numpy, int16 and float64 input are converted (int16 scaled by 1/32768)."""

import numpy as np
import pytest
import torch
from hydra import compose, initialize_config_dir

from src.build import build_codec
from tests.training.helpers import ROOT

T = 16000


@pytest.fixture(scope="module")
def codec():
    overrides = ["preset=tiny", f"hydra.searchpath=[file://{ROOT / 'experiments'}]"]
    with initialize_config_dir(config_dir=str(ROOT / "conf"), version_base="1.3"):
        cfg = compose("train", overrides=overrides)
    torch.manual_seed(0)
    return build_codec(cfg).eval()


@pytest.fixture(scope="module")
def wav():
    t = torch.arange(T) / 16000
    return (0.3 * torch.sin(2 * torch.pi * 220 * t) + 0.05 * torch.randn(T)).reshape(1, 1, T)


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), float("-inf")])
def test_non_finite_input_is_refused(codec, wav, bad):
    broken = wav.clone()
    broken[0, 0, 4000] = bad
    with pytest.raises(ValueError, match=r"1 non-finite sample.*4000"):
        codec.encode(broken)


def test_empty_input_is_a_clear_error(codec):
    with pytest.raises(ValueError, match="empty"):
        codec.encode(torch.zeros(1, 1, 0))


def test_numpy_int16_and_float64_are_converted(codec, wav):
    ref = codec.encode(wav)
    assert torch.equal(codec.encode(wav.numpy()), ref)
    assert torch.equal(codec.encode(wav.double()), ref)
    assert torch.equal(codec.encode(wav.numpy().astype(np.float64)), ref)
    pcm = np.round(wav.numpy() * 32768).clip(-32768, 32767).astype(np.int16)
    expected = codec.encode(torch.from_numpy(pcm.astype(np.float32) / 32768))
    assert torch.equal(codec.encode(pcm), expected) and torch.equal(codec.encode(torch.from_numpy(pcm)), expected)


@pytest.mark.parametrize("dtype", [np.uint8, np.bool_, np.complex64])
def test_other_dtypes_are_refused_by_name(codec, wav, dtype):
    with pytest.raises(TypeError, match="dtype"):
        codec.encode(wav.numpy().astype(dtype))


def test_decode_length_must_be_possible(codec, wav):
    codes = codec.encode(wav)
    frames = codes.shape[-1]
    assert codec.decode(codes).shape[-1] == frames * codec.hop_length
    assert codec.decode(codes, length=T - 7).shape[-1] == T - 7
    assert codec.decode(codes, length=frames * codec.hop_length).shape[-1] == frames * codec.hop_length
    for bad in (-5, 0, frames * codec.hop_length + 1):
        with pytest.raises(ValueError, match=rf"length={bad}.*{frames * codec.hop_length}"):
            codec.decode(codes, length=bad)
    with pytest.raises(TypeError, match="length"):
        codec.decode(codes, length=1.5)


def test_decode_refuses_codes_it_cannot_look_up(codec, wav):
    codes = codec.encode(wav)
    size = codec.codebook_sizes()[0]
    with pytest.raises(ValueError, match=rf"\[0, {size}\)"):
        codec.decode(codes + size)
    with pytest.raises(ValueError, match="int64"):
        codec.decode(codes.float())
    with pytest.raises(ValueError, match="n_codebooks"):
        codec.decode(torch.cat([codes, codes], dim=1))
    assert torch.equal(codec.decode(codes.numpy()), codec.decode(codes))
