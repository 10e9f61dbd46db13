"""stable-audio-tools Oobleck VAE -> codeclab: the official AudioAutoencoder at random init, saved as an
unwrapped checkpoint + model_config.json, converted, compared (stable-audio-tools, installed --no-deps)."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
import torch
from safetensors.torch import save_file

from src.build import build_codec
from src.compose import compose_train_config
from tests.convert.official import demo_clip, perturb, require

require("stable_audio_tools")


def vae_config(channels=128, c_mults=(1, 2, 4, 8, 16), strides=(2, 4, 4, 8, 8), latent=64) -> dict:
    """stable-audio-tools' stable_audio_2_0_vae.json / Stable Audio Open's pretransform (the defaults)."""
    common = {"channels": channels, "c_mults": list(c_mults), "strides": list(strides), "use_snake": True}
    hop = 1
    for s in strides:
        hop *= s
    return {
        "model_type": "autoencoder",
        "sample_rate": 44100,
        "audio_channels": 2,
        "model": {
            "encoder": {"type": "oobleck", "config": {"in_channels": 2, "latent_dim": 2 * latent, **common}},
            "decoder": {
                "type": "oobleck",
                "config": {"out_channels": 2, "latent_dim": latent, "final_tanh": False, **common},
            },
            "bottleneck": {"type": "vae"},
            "latent_dim": latent,
            "downsampling_ratio": hop,
            "io_channels": 2,
        },
    }


SMALL = {"channels": 16, "c_mults": (1, 2, 4), "strides": (2, 4, 8), "latent": 8}


def official_oobleck(official_imports, folder: Path, config: dict):
    factory = official_imports("stable_audio_tools.models.factory")
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "model_config.json").write_text(json.dumps(config))
    model = perturb(factory.create_model_from_config(config)).eval()
    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, str(folder / "model.safetensors"))
    return model


def build_converted(converted):
    cfg = compose_train_config([f"preset={converted.preset}", *converted.overrides])
    codec = build_codec(cfg).eval()
    codec.load_state_dict(converted.codec_state, strict=True)
    return codec


def compare(official, codec, wav) -> dict:
    """Latents (the encoder's mean and scale) and the waveform decoded from the mean, official vs ours."""
    with torch.no_grad():
        pre = official.encode(wav, skip_bottleneck=True)  # (B, 2D, F)
        mean = pre.chunk(2, dim=1)[0]
        ref = official.decode(mean)
        latents = codec.encode(wav)  # eval: the VAE mean
        ours = codec.decode(latents)
        enc = codec.encoder(wav)
    assert ours.shape == ref.shape == wav.shape
    return {
        "latent": (enc - pre).abs().max().item(),
        "mean": (latents - mean).abs().max().item(),
        "wav": (ours - ref).abs().max().item(),
    }


def test_oobleck_small_matches_official(official_imports, tmp_path):
    from src.convert.oobleck import convert

    official = official_oobleck(official_imports, tmp_path / "vae", vae_config(**SMALL))
    codec = build_converted(convert(tmp_path / "vae"))
    assert sum(p.numel() for p in codec.parameters()) == sum(p.numel() for p in official.parameters())
    noise = 0.3 * torch.randn(2, 2, 64 * 8, generator=torch.Generator().manual_seed(1))
    for wav in (noise, demo_clip(44100, 2, seconds=0.25)[..., : 64 * 40]):
        diffs = compare(official, codec, wav)
        print(f"oobleck small {tuple(wav.shape)}: {diffs}")
        assert max(diffs.values()) < 1e-5, diffs


@pytest.mark.slow
def test_oobleck_published_size_matches_official(official_imports, tmp_path):
    from src.convert.oobleck import convert

    official = official_oobleck(official_imports, tmp_path / "vae", vae_config())
    codec = build_converted(convert(tmp_path / "vae"))
    assert sum(p.numel() for p in codec.parameters()) == 156_112_514
    diffs = compare(official, codec, demo_clip(44100, 2, seconds=0.2)[..., : 4 * 2048])
    print(f"oobleck published size: {diffs}")
    assert max(diffs.values()) < 1e-5, diffs


def test_oobleck_pretransform_and_bad_keys(official_imports, tmp_path):
    """Stable Audio Open's layout (the VAE under pretransform.model.) converts; a stray VAE key does not."""
    from src.convert.oobleck import convert

    config = vae_config(**SMALL)
    official = official_oobleck(official_imports, tmp_path / "a", config)
    full = {
        "model_type": "diffusion_cond",
        "sample_rate": 44100,
        "model": {"pretransform": {"type": "autoencoder", "config": copy.deepcopy(config["model"])}},
    }
    state = {f"pretransform.model.{k}": v for k, v in official.state_dict().items()}
    state["model.model.transformer.weight"] = torch.zeros(2)  # the DiT's weights: not the codec's
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "model_config.json").write_text(json.dumps(full))
    save_file(state, str(tmp_path / "b" / "model.safetensors"))
    converted = convert(tmp_path / "b")
    assert converted.source["non_autoencoder_keys_dropped"] == 1
    build_converted(converted)
    state["pretransform.model.encoder.layers.9.weight"] = torch.zeros(2)
    save_file(state, str(tmp_path / "b" / "model.safetensors"))
    with pytest.raises(ValueError, match="left over.*encoder.block.9.weight"):
        convert(tmp_path / "b")
