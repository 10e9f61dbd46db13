"""Official DAC (descript-audio-codec) at random init -> weights.pth -> src.convert -> same codes and audio."""

from __future__ import annotations

import pytest
import torch

from src.build import load_codec
from src.codec import Codec
from src.convert.__main__ import main as convert_main
from src.convert.common import KeyMismatchError
from src.convert.dac import convert
from tests.convert.conftest import assert_same, demo_clip, random_audio

KWARGS = {  # descript-audio-codec conf/final/*.yml, as the released weights' metadata holds them
    16000: {"encoder_rates": [2, 4, 5, 8], "decoder_rates": [8, 5, 4, 2], "n_codebooks": 12},
    24000: {"encoder_rates": [2, 4, 5, 8], "decoder_rates": [8, 5, 4, 2], "n_codebooks": 32},
    44100: {"encoder_rates": [2, 4, 8, 8], "decoder_rates": [8, 8, 4, 2], "n_codebooks": 9},
}


def official_checkpoint(dac_pkg, sample_rate: int, path):
    kwargs = {
        "encoder_dim": 64,
        "decoder_dim": 1536,
        "codebook_size": 1024,
        "codebook_dim": 8,
        "quantizer_dropout": 0.5,
        "sample_rate": sample_rate,
        **KWARGS[sample_rate],
    }
    torch.manual_seed(sample_rate)
    model = dac_pkg.DAC(**kwargs).eval()
    torch.save({"state_dict": model.state_dict(), "metadata": {"kwargs": kwargs}}, path)
    return model


@torch.no_grad()
def compare(model, codec: Codec, wav: torch.Tensor, rate: int) -> float:
    """The official forward (pad to the hop, encode, decode, crop to the input) against codeclab's."""
    out = model(wav, rate)
    codes = codec.encode(wav)
    return assert_same(codes, out["codes"], codec.decode(codes, length=wav.shape[-1]), out["audio"])


@pytest.fixture(scope="module")
def dac16(dac_pkg, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("dac16")
    model = official_checkpoint(dac_pkg, 16000, tmp / "weights.pth")
    convert_main(["source=dac", f"checkpoint={tmp / 'weights.pth'}", f"out={tmp / 'run'}"])
    return model, tmp


def test_dac16_codes_and_waveform_match_official(dac16):
    model, tmp = dac16
    codec = load_codec(tmp / "run")
    assert sum(p.numel() for p in codec.parameters()) == sum(p.numel() for p in model.parameters())
    for wav in (random_audio(16000), demo_clip(16000)):
        compare(model, codec, wav, 16000)


def test_dac16_run_config_sets_the_released_trailing_samples(dac16):
    _, tmp = dac16
    text = (tmp / "run" / "config.yaml").read_text()
    assert "exact_odd_strides: false" in text and "n_codebooks: 12" in text


@pytest.mark.slow
@pytest.mark.parametrize("rate", [24000, 44100])
def test_dac24_dac44_match_official(dac_pkg, tmp_path, rate):
    model = official_checkpoint(dac_pkg, rate, tmp_path / "weights.pth")
    convert_main(["source=dac", f"checkpoint={tmp_path / 'weights.pth'}", f"out={tmp_path / 'run'}"])
    codec = load_codec(tmp_path / "run")
    for wav in (random_audio(rate), demo_clip(rate)):
        compare(model, codec, wav, rate)


def test_key_mismatch_lists_leftover_and_missing(dac16, tmp_path):
    _, tmp = dac16
    data = torch.load(tmp / "weights.pth", weights_only=True)
    data["state_dict"].pop("encoder.block.0.bias")
    data["state_dict"]["decoder.model.9.extra"] = torch.zeros(3)
    torch.save(data, tmp_path / "bad.pth")
    with pytest.raises(KeyMismatchError) as err:
        convert(tmp_path / "bad.pth")
    message = str(err.value)
    assert "1 leftover" in message and "decoder.model.9.extra" in message
    assert "1 missing" in message and "encoder.block.0.bias" in message


def test_unknown_architecture_is_refused(tmp_path):
    kwargs = {"encoder_dim": 32, "encoder_rates": [2, 4, 5, 8], "sample_rate": 16000}
    torch.save({"state_dict": {}, "metadata": {"kwargs": kwargs}}, tmp_path / "weights.pth")
    with pytest.raises(ValueError, match="match no codeclab preset"):
        convert(tmp_path / "weights.pth")
