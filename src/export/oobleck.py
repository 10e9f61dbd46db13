"""codeclab preset=oobleck runs -> stable-audio-tools' autoencoder (Evans et al. 2024): model_config.json +
model.safetensors, the unwrapped AudioAutoencoder state dict that its `load_ckpt_state_dict` reads."""

from __future__ import annotations

import json
import re
from pathlib import Path

from omegaconf import DictConfig
from safetensors.torch import save_file

from src.export._shared2 import require_targets, require_values

TARGETS = {
    "encoder": "src.encoder.oobleck.OobleckEncoder",
    "quantizer": "src.quantizer.vae.VAE",
    "decoder": "src.decoder.oobleck.OobleckDecoder",
    "head": "src.head.waveform.WaveformHead",
}


def oobleck_config(cfg: DictConfig) -> dict:
    """The run's config -> stable-audio-tools' model_config.json (model_type autoencoder)."""
    enc = cfg.encoder
    snake = bool(enc.use_snake)
    common = {
        "channels": int(enc.base_channels),
        "c_mults": [int(c) for c in enc.c_mults],
        "strides": [int(s) for s in enc.strides],
        "use_snake": snake,
    }
    hop, channels, latent = 1, int(cfg.channels), int(cfg.latent_dim)
    for s in common["strides"]:
        hop *= s
    return {
        "model_type": "autoencoder",
        "sample_rate": int(cfg.sample_rate),
        "audio_channels": channels,
        "model": {
            "encoder": {"type": "oobleck", "config": {"in_channels": channels, "latent_dim": 2 * latent, **common}},
            "decoder": {
                "type": "oobleck",
                "config": {"out_channels": channels, "latent_dim": latent, "final_tanh": bool(cfg.head.tanh), **common},
            },
            "bottleneck": {"type": "vae"},
            "latent_dim": latent,
            "downsampling_ratio": hop,
            "io_channels": channels,
        },
    }


def sat_key(key: str, depth: int) -> str:
    """codeclab name -> stable-audio-tools name (the inverse of src.convert.oobleck's rule)."""
    key = key.replace("head.act.", f"decoder.block.{depth + 1}.").replace(
        "head.conv.conv.", f"decoder.block.{depth + 2}."
    )
    key = re.sub(r"^(encoder|decoder)\.block\.(\d+)\.(\d+)\.", r"\1.layers.\2.layers.\3.", key)
    key = re.sub(r"(^|\.)block\.", r"\1layers.", key)
    return key.replace("parametrizations.weight.original0", "weight_g").replace(
        "parametrizations.weight.original1", "weight_v"
    )


def export(codec, cfg: DictConfig, out: Path) -> None:
    """Write out/model_config.json and out/model.safetensors for stable-audio-tools'
    `create_model_from_config` + `load_state_dict` (or `load_ckpt_state_dict`)."""
    require_targets(cfg, TARGETS, "oobleck")
    require_values(
        cfg,
        {
            "encoder.antialias": False,
            "decoder.antialias": False,
            "decoder.nearest_upsample": False,
            "head.bias": False,
            "head.kernel_size": 7,
            "head.antialias": False,
            "head.activation": "snake_beta" if cfg.encoder.use_snake else "elu",
        },
        "oobleck",
    )
    for key in ("base_channels", "c_mults", "strides", "use_snake"):
        if cfg.encoder[key] != cfg.decoder[key]:
            raise ValueError(
                f"export format=oobleck: encoder.{key} != decoder.{key}; stable-audio-tools' config shares them"
            )
    depth = len(cfg.encoder.c_mults)
    state = {}
    for key, value in codec.state_dict().items():
        value = value.detach().cpu()
        if key.endswith((".alpha", ".beta")):
            value = value.reshape(-1)  # SnakeBeta (1, C, 1) -> (C,)
        state[sat_key(key, depth)] = value.contiguous()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "model_config.json").write_text(json.dumps(oobleck_config(cfg), indent=2))
    save_file(state, str(out / "model.safetensors"))
