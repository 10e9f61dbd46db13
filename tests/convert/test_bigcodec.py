"""BigCodec -> codeclab. BigCodec is not on PyPI, so the published bigcodec.pt's layout is rebuilt here by
name and shape from its code and config (Aria-K-Alethia/BigCodec: vq/codec_encoder.py, vq/codec_decoder.py,
vq/module.py, config/model/default.yaml). Key coverage and shapes are tested; no numeric comparison is
possible without the official modules. The anti-aliasing filter values are codeclab's own (the test checks
that a wrong one is refused, not that codeclab's formula matches BigVGAN's)."""

from __future__ import annotations

import pytest
import torch

from src.build import build_codec
from src.compose import compose_train_config
from src.nn.activations import kaiser_sinc_lowpass

FILTER = kaiser_sinc_lowpass(0.25, 0.3, 12).view(1, 1, 12)


def wn(prefix: str, out_c: int, in_c: int, k: int, transpose: bool = False, bias: bool = True) -> dict:
    """torch.nn.utils.weight_norm on Conv1d (weight (out, in, k)) or ConvTranspose1d ((in, out, k)); g on dim 0."""
    v = torch.randn(in_c, out_c, k) if transpose else torch.randn(out_c, in_c, k)
    out = {f"{prefix}.weight_v": v, f"{prefix}.weight_g": torch.randn(v.shape[0], 1, 1)}
    return out | ({f"{prefix}.bias": torch.randn(out_c)} if bias else {})


def act(prefix: str, c: int) -> dict:
    """Activation1d(SnakeBeta(c, alpha_logscale=True)) with its fixed filters."""
    return {
        f"{prefix}.act.alpha": torch.randn(c),
        f"{prefix}.act.beta": torch.randn(c),
        f"{prefix}.upsample.filter": FILTER.clone(),
        f"{prefix}.downsample.lowpass.filter": FILTER.clone(),
    }


def res(prefix: str, c: int) -> dict:
    return (
        act(f"{prefix}.block.0", c)
        | wn(f"{prefix}.block.1", c, c, 7)
        | act(f"{prefix}.block.2", c)
        | wn(f"{prefix}.block.3", c, c, 1)
    )


def lstm(prefix: str, c: int, layers: int = 2) -> dict:
    return {
        f"{prefix}.lstm.{name}_l{i}": torch.randn(4 * c, c) if name.startswith("weight") else torch.randn(4 * c)
        for i in range(layers)
        for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
    }


def codec_encoder() -> dict:
    out, d = wn("block.0", 48, 1, 7), 48
    for i, stride in enumerate([2, 2, 2, 5, 5]):
        d *= 2
        for j in range(3):
            out |= res(f"block.{i + 1}.block.{j}", d // 2)
        out |= act(f"block.{i + 1}.block.3", d // 2) | wn(f"block.{i + 1}.block.4", d, d // 2, 2 * stride)
    return out | lstm("block.6", d) | act("block.7", d) | wn("block.8", 1024, d, 3)


def codec_decoder() -> dict:
    out = {
        "quantizer.layers.0.in_proj.weight_g": torch.randn(8, 1),
        "quantizer.layers.0.in_proj.weight_v": torch.randn(8, 1024),
        "quantizer.layers.0.in_proj.bias": torch.randn(8),
        "quantizer.layers.0.out_proj.weight_g": torch.randn(1024, 1),
        "quantizer.layers.0.out_proj.weight_v": torch.randn(1024, 8),
        "quantizer.layers.0.out_proj.bias": torch.randn(1024),
        "quantizer.layers.0._codebook.weight": torch.randn(8192, 8),
    }
    out |= wn("model.0", 1536, 1024, 7) | lstm("model.1", 1536)
    for i, stride in enumerate([5, 5, 2, 2, 2]):
        inp, outp = 1536 // 2**i, 1536 // 2 ** (i + 1)
        out |= act(f"model.{i + 2}.block.0", inp) | wn(f"model.{i + 2}.block.1", outp, inp, 2 * stride, True)
        for j in range(3):
            out |= res(f"model.{i + 2}.block.{j + 2}", outp)
    return out | act("model.7", 48) | wn("model.8", 1, 48, 7)


@pytest.mark.slow  # full-size model (> 20 s on the shared CI cores)
def test_bigcodec_keys_and_shapes(tmp_path):
    from src.convert.bigcodec import convert

    ckpt = {"CodecEnc": codec_encoder(), "generator": codec_decoder()}
    torch.save(ckpt, tmp_path / "bigcodec.pt")
    converted = convert(tmp_path / "bigcodec.pt")
    n_params = sum(v.numel() for part in ckpt.values() for k, v in part.items() if not k.endswith("filter"))
    assert n_params == 159_436_290  # the preset's published count
    codec = build_codec(compose_train_config(["preset=bigcodec", *converted.overrides]))
    codec.load_state_dict(converted.codec_state, strict=True)  # every key, every shape
    # the values arrive where they should: a weight-normed Linear became a 1x1 conv, SnakeBeta (C,) -> (1, C, 1)
    assert torch.equal(
        codec.quantizer.layers[0].codebook.weight, ckpt["generator"]["quantizer.layers.0._codebook.weight"]
    )
    got = converted.codec_state["head.act.act.alpha"]
    assert torch.equal(got.flatten(), ckpt["generator"]["model.7.act.alpha"]) and got.shape == (1, 48, 1)


@pytest.mark.slow  # full-size model (> 20 s on the shared CI cores)
def test_bigcodec_training_checkpoint_and_refusals(tmp_path):
    from src.convert.bigcodec import convert

    state = {f"model.CodecEnc.{k}": v for k, v in codec_encoder().items()}
    state |= {f"model.generator.{k}": v for k, v in codec_decoder().items()}
    state["model.discriminator.discriminators.0.convs.0.weight"] = torch.randn(4, 1, 5, 1)
    torch.save({"state_dict": state}, tmp_path / "model.ckpt")
    assert convert(tmp_path / "model.ckpt").source["dropped_discriminator_keys"] == 1
    state["model.generator.model.1.lstm.weight_ih_l2"] = torch.randn(3)
    state["model.CodecEnc.block.1.block.0.upsample.filter"] = torch.ones(1, 1, 12)
    torch.save({"state_dict": state}, tmp_path / "model.ckpt")
    with pytest.raises(ValueError, match="filters differ"):
        convert(tmp_path / "model.ckpt")
    state["model.CodecEnc.block.1.block.0.upsample.filter"] = FILTER.clone()
    torch.save({"state_dict": state}, tmp_path / "model.ckpt")
    with pytest.raises(ValueError, match="left over.*decoder.block.1.lstm.weight_ih_l2"):
        convert(tmp_path / "model.ckpt")
    (tmp_path / "default.yaml").write_text("codec_encoder:\n  ngf: 32\n")
    with pytest.raises(ValueError, match="codec_encoder.ngf"):
        convert(tmp_path / "model.ckpt")
