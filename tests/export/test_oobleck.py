"""codeclab preset=oobleck -> stable-audio-tools' autoencoder: the official AudioAutoencoder loads it strictly
and decodes our waveform; converting it back gives the same weights (stable-audio-tools, --no-deps)."""

from __future__ import annotations

import json

import pytest
import torch
from safetensors.torch import load_file

from src.build import build_codec
from src.compose import compose_train_config
from tests.convert.official import perturb, require

require("stable_audio_tools")

SMALL = [
    "encoder.base_channels=16",
    "decoder.base_channels=16",
    "encoder.c_mults=[1,2,4]",
    "decoder.c_mults=[1,2,4]",
    "encoder.strides=[2,4,8]",
    "decoder.strides=[2,4,8]",
    "latent_dim=8",
]


def test_oobleck_export_loads_in_official(official_imports, tmp_path):
    from src.convert.oobleck import convert
    from src.export.oobleck import export

    cfg = compose_train_config(["preset=oobleck", *SMALL])
    codec = perturb(build_codec(cfg)).eval()
    export(codec, cfg, tmp_path / "out")
    factory = official_imports("stable_audio_tools.models.factory")
    config = json.loads((tmp_path / "out" / "model_config.json").read_text())
    official = factory.create_model_from_config(config).eval()
    official.load_state_dict(load_file(str(tmp_path / "out" / "model.safetensors")), strict=True)
    wav = 0.3 * torch.randn(2, 2, 64 * 10)
    with torch.no_grad():
        pre = official.encode(wav, skip_bottleneck=True)
        assert (codec.encoder(wav) - pre).abs().max() < 1e-5
        mean = pre.chunk(2, dim=1)[0]
        diff = (official.decode(mean) - codec.decode(mean)).abs().max()
    assert diff < 1e-5, diff
    back = convert(tmp_path / "out")
    assert all(torch.equal(back.codec_state[k], v) for k, v in codec.state_dict().items())
    assert set(back.codec_state) == set(codec.state_dict())


def test_oobleck_export_refuses_what_the_official_code_lacks(tmp_path):
    from src.export.oobleck import export

    cfg = compose_train_config(["preset=oobleck", *SMALL, "decoder.nearest_upsample=true"])
    with pytest.raises(ValueError, match="decoder.nearest_upsample"):
        export(build_codec(cfg), cfg, tmp_path / "out")
