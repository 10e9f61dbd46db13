"""The inference fast path folds weight norm without changing what the codec computes."""

import copy

import pytest
import torch
from torch import nn

from src.build import load_codec
from src.inference import count_parametrizations, fold_weight_norm, prepare_for_inference
from tests.tiny_presets import TINY_FAMILIES, tiny_codec


@pytest.mark.parametrize("name", sorted(TINY_FAMILIES))
def test_folding_keeps_outputs(name):
    codec = tiny_codec(name)
    if name not in ("demo", "vocos"):  # ConvNeXt + ISTFT stacks have no weight norm
        assert count_parametrizations(codec) > 0
    fast = prepare_for_inference(copy.deepcopy(codec))
    assert count_parametrizations(fast) == 0
    assert not any(p.requires_grad for p in fast.parameters()) and not fast.training
    torch.manual_seed(1)
    wav = torch.randn(2, codec.channels, 5 * codec.hop_length + 17) * 0.3
    codes, codes_fast = codec.encode(wav), fast.encode(wav)
    if codec.is_discrete:
        assert torch.equal(codes, codes_fast)
    else:
        torch.testing.assert_close(codes_fast, codes, atol=1e-6, rtol=0)
    torch.testing.assert_close(fast.decode(codes), codec.decode(codes), atol=1e-6, rtol=0)


def test_legacy_weight_norm_is_folded():
    """The official DAC/EnCodec/Vocos code uses the hook-based torch.nn.utils.weight_norm."""
    torch.manual_seed(0)
    with pytest.warns(FutureWarning):
        conv = torch.nn.utils.weight_norm(nn.Conv1d(3, 5, 3))
    x = torch.randn(2, 3, 11)
    before = conv(x)
    assert count_parametrizations(conv) == 1 and fold_weight_norm(conv) == 1
    assert count_parametrizations(conv) == 0 and "weight_g" not in dict(conv.named_parameters())
    torch.testing.assert_close(conv(x), before, atol=1e-6, rtol=0)


def test_load_for_inference(tmp_path):
    """load_codec(..., for_inference=True) gives the folded codec with the saved weights."""
    from omegaconf import OmegaConf

    from src.compose import compose_train_config

    codec = tiny_codec("tiny")
    codec.save(tmp_path / "codec.safetensors")
    OmegaConf.save(compose_train_config(["preset=tiny"]), tmp_path / "config.yaml", resolve=True)
    fast = load_codec(tmp_path, for_inference=True)
    assert count_parametrizations(fast) == 0 and getattr(fast, "inference_ready", False)
    wav = torch.randn(1, 1, 3200) * 0.3
    assert torch.equal(fast.encode(wav), codec.encode(wav))


def test_fused_kernels_for_inference_keep_codes_and_audio():
    """prepare_for_inference(fused_kernels=...) routes every Snake layer through the compiled kernel; the
    codes stay those of the eager codec and the audio equal to float rounding."""
    from src.nn.kernels import FusedKernelLayer

    codec = tiny_codec("dac_16khz").eval()
    fast = prepare_for_inference(copy.deepcopy(codec), fused_kernels="aot_eager")
    layers = [m for m in fast.modules() if isinstance(m, FusedKernelLayer)]
    assert layers and all(m.fused_backend == "aot_eager" for m in layers)
    wav = torch.randn(2, codec.channels, 4 * codec.hop_length) * 0.3
    codes = codec.encode(wav)
    assert torch.equal(fast.encode(wav), codes)
    torch.testing.assert_close(fast.decode(codes), codec.decode(codes), atol=1e-5, rtol=0)
