"""stable-audio-tools Oobleck VAE (Evans et al. 2024, Stable Audio Open) checkpoints -> codeclab preset=oobleck."""

from __future__ import annotations

import re
from pathlib import Path

from torch import Tensor

from src.convert import ConvertedCheckpoint
from src.convert._shared2 import (
    check_against,
    find_file,
    find_weights,
    load_weights,
    read_json,
    remap,
)
from src.convert.common import expected_state

WEIGHTS = ("model.safetensors", "model.ckpt", "vae.safetensors", "vae.ckpt")
UNSUPPORTED = {"antialias_activation": "anti-aliased activations", "use_nearest_upsample": "nearest upsampling"}


def autoencoder_config(config: dict, path: Path) -> tuple[dict, str]:
    """model_config.json -> (the autoencoder's `model` node, the state-dict prefix of its weights).

    An `autoencoder` config is the VAE itself; a `diffusion_cond` one (Stable Audio Open) holds it as its
    pretransform, whose weights sit under `pretransform.model.`."""
    kind = config.get("model_type")
    if kind == "autoencoder":
        return config["model"], ""
    pre = (config.get("model") or {}).get("pretransform") or {}
    if kind in ("diffusion_cond", "diffusion_uncond") and pre.get("type") == "autoencoder":
        return pre["config"], "pretransform.model."
    raise ValueError(
        f"{path}: model_type={kind!r} holds no Oobleck autoencoder (need `autoencoder`, or a "
        "diffusion model with an autoencoder pretransform)"
    )


def oobleck_overrides(config: dict, path: Path) -> tuple[list[str], int]:
    """-> (overrides of preset=oobleck, number of encoder/decoder blocks)."""
    ae, _ = autoencoder_config(config, path)
    enc, dec = ae["encoder"], ae["decoder"]
    if enc.get("type") != "oobleck" or dec.get("type") != "oobleck":
        raise ValueError(f"{path}: encoder/decoder type {enc.get('type')!r}/{dec.get('type')!r}; only oobleck converts")
    if (ae.get("bottleneck") or {}).get("type") != "vae":
        raise ValueError(f"{path}: bottleneck {ae.get('bottleneck')!r}; only the `vae` bottleneck converts")
    enc, dec = enc["config"], dec["config"]
    for key, what in UNSUPPORTED.items():
        if enc.get(key) or dec.get(key):
            raise ValueError(f"{path}: {key}=true ({what}) has no converter yet")
    if ae["decoder"].get("soft_clip"):
        raise ValueError(f"{path}: decoder.soft_clip=true has no converter yet")
    for key in ("channels", "c_mults", "strides", "use_snake"):
        if enc.get(key) != dec.get(key):
            raise ValueError(f"{path}: encoder and decoder differ in {key}; codeclab's preset shares them")
    latent = ae["latent_dim"]
    if enc["latent_dim"] != 2 * latent or dec["latent_dim"] != latent:
        raise ValueError(f"{path}: a VAE needs encoder latent_dim = 2 x latent_dim = decoder x 2")
    snake = bool(enc.get("use_snake", False))
    lists = {k: "[" + ",".join(str(v) for v in enc[k]) + "]" for k in ("c_mults", "strides")}
    overrides = [f"sample_rate={config['sample_rate']}", f"channels={ae['io_channels']}", f"latent_dim={latent}"]
    for part in ("encoder", "decoder"):
        overrides += [
            f"{part}.base_channels={enc['channels']}",
            f"{part}.c_mults={lists['c_mults']}",
            f"{part}.strides={lists['strides']}",
            f"{part}.use_snake={str(snake).lower()}",
        ]
    overrides += [
        f"head.activation={'snake_beta' if snake else 'elu'}",
        f"head.tanh={str(bool(dec.get('final_tanh', True))).lower()}",
    ]
    return overrides, len(enc["c_mults"])


def _rule(depth: int, prefix: str):
    """stable-audio-tools names -> codeclab names: `layers` -> `block` (one level fewer), weight_g/v ->
    parametrizations,
    SnakeBeta (C,) -> (1, C, 1); the decoder's last activation and conv become the head."""
    head = {f"decoder.layers.{depth + 1}.": "head.act.", f"decoder.layers.{depth + 2}.": "head.conv.conv."}

    def rule(key: str, value: Tensor):
        if not key.startswith(prefix):
            return None
        key = key[len(prefix) :]
        if not key.startswith(("encoder.layers.", "decoder.layers.")):
            return None
        for old, new in head.items():
            if key.startswith(old):
                key = new + key[len(old) :]
        # an Encoder/DecoderBlock is a plain Sequential in codeclab: its own `layers.` level goes
        key = re.sub(r"^(encoder|decoder)\.layers\.(\d+)\.layers\.", r"\1.layers.\2.", key)
        key = re.sub(r"(^|\.)layers\.", r"\1block.", key)
        key = re.sub(r"weight_g$", "parametrizations.weight.original0", key)
        key = re.sub(r"weight_v$", "parametrizations.weight.original1", key)
        if key.endswith((".alpha", ".beta")):
            value = value.reshape(1, -1, 1)
        return key, value

    return rule


def convert(checkpoint: Path) -> ConvertedCheckpoint:
    """checkpoint: a directory with model_config.json and model.safetensors / model.ckpt (an unwrapped
    autoencoder, or Stable Audio Open's full model), or the weights file with model_config.json beside it."""
    checkpoint = Path(checkpoint)
    config_path = find_file(checkpoint, ("model_config.json", "config.json"), "stable-audio-tools model config")
    config = read_json(config_path)
    overrides, depth = oobleck_overrides(config, config_path)
    _, prefix = autoencoder_config(config, config_path)
    weights = find_weights(checkpoint, WEIGHTS)
    state = load_weights(weights)
    dropped = 0
    if prefix:  # the diffusion model's own weights are not the codec's: set them aside, counted
        kept = {k: v for k, v in state.items() if k.startswith(prefix)}
        dropped, state = len(state) - len(kept), kept
    codec_state = remap(state, _rule(depth, prefix), str(weights))
    check_against(codec_state, expected_state("oobleck", overrides, meta=True), str(weights))
    return ConvertedCheckpoint(
        "oobleck",
        overrides,
        codec_state,
        None,
        {
            "format": "oobleck",
            "checkpoint": str(checkpoint),
            "config": str(config_path),
            "prefix": prefix,
            "non_autoencoder_keys_dropped": dropped,
        },
    )
