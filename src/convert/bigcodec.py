"""BigCodec (Xin et al. 2024) checkpoints -> codeclab preset=bigcodec: the published bigcodec.pt
({"CodecEnc": ..., "generator": ...}) or a training .ckpt (Lightning, under model.CodecEnc / model.generator)."""

from __future__ import annotations

import re
from pathlib import Path

import torch
from torch import Tensor

from src.convert import ConvertedCheckpoint
from src.convert._shared2 import (
    check_against,
    find_weights,
    read_yaml,
    remap,
)
from src.convert.common import expected_state, rename_weight_norm
from src.nn.activations import kaiser_sinc_lowpass

PARTS = ("CodecEnc", "generator")
DISCRIMINATORS = ("discriminator", "spec_discriminator")  # in training checkpoints; not the codec
# BigCodec's config/model/default.yaml: the class defaults the published bigcodec.pt was built with
DEFAULTS = {
    "codec_encoder": {
        "out_channels": 1024,
        "ngf": 48,
        "use_rnn": True,
        "rnn_bidirectional": False,
        "rnn_num_layers": 2,
        "up_ratios": [2, 2, 2, 5, 5],
        "dilations": [1, 3, 9],
    },
    "codec_decoder": {
        "in_channels": 1024,
        "upsample_initial_channel": 1536,
        "ngf": 48,
        "use_rnn": True,
        "rnn_bidirectional": False,
        "rnn_num_layers": 2,
        "up_ratios": [5, 5, 2, 2, 2],
        "dilations": [1, 3, 9],
        "vq_num_quantizers": 1,
        "vq_dim": 1024,
        "codebook_size": 8192,
        "codebook_dim": 8,
    },
}


def read_config(checkpoint: Path) -> tuple[dict, str]:
    """BigCodec's model config (config/model/default.yaml layout) beside the checkpoint, else the class
    defaults (= default.yaml; the published bigcodec.pt ships without a config)."""
    folder = checkpoint if checkpoint.is_dir() else checkpoint.parent
    for name in ("model.yaml", "default.yaml", "config.yaml"):
        if (folder / name).is_file():
            cfg = read_yaml(folder / name)
            cfg = cfg.get("model", cfg)
            return {k: {**DEFAULTS[k], **(cfg.get(k) or {})} for k in DEFAULTS}, str(folder / name)
    return DEFAULTS, "BigCodec class defaults (config/model/default.yaml)"


def bigcodec_overrides(cfg: dict, where: str) -> list[str]:
    enc, dec = cfg["codec_encoder"], cfg["codec_decoder"]
    if enc != DEFAULTS["codec_encoder"] or dec != DEFAULTS["codec_decoder"]:
        changed = sorted(f"{p}.{k}" for p in DEFAULTS for k in DEFAULTS[p] if cfg[p][k] != DEFAULTS[p][k])
        raise ValueError(
            f"{where}: {changed} differ from BigCodec's published config; preset=bigcodec reproduces that one only"
        )
    return []


def _filter_ok(value: Tensor) -> bool:
    """Activation1d's fixed up/down-sampling filters must be the ones codeclab computes (ratio 2, 12 taps)."""
    return value.numel() == 12 and torch.allclose(value.flatten(), kaiser_sinc_lowpass(0.25, 0.3, 12), atol=1e-6)


def flatten(obj: dict, path: str) -> tuple[dict[str, Tensor], list[str]]:
    """Either layout -> ({"CodecEnc.<key>" / "generator.<key>": tensor}, dropped discriminator keys)."""
    if isinstance(obj.get("state_dict"), dict):  # Lightning: model.<part>.<key>
        out, dropped = {}, []
        for key, value in obj["state_dict"].items():
            part = key.split(".")[1] if key.startswith("model.") else ""
            if part in PARTS:
                out[key[len("model.") :]] = value
            elif part in DISCRIMINATORS:
                dropped.append(key)
            else:
                raise ValueError(f"{path}: {key} is neither the codec nor a BigCodec discriminator")
        return out, dropped
    missing = [p for p in PARTS if not isinstance(obj.get(p), dict)]
    if missing:
        raise ValueError(f"{path}: no {missing} state dict: not a BigCodec checkpoint ({{'CodecEnc', 'generator'}})")
    extra = [k for k in obj if k not in PARTS]
    if extra:
        raise ValueError(f"{path}: top-level entries {extra} left over (expected only CodecEnc and generator)")
    return {f"{p}.{k}": v for p in PARTS for k, v in obj[p].items()}, []


def _rule(key: str, value: Tensor):
    if key.endswith(("upsample.filter", "downsample.lowpass.filter")):
        return None  # checked and dropped in convert()
    if key.startswith("CodecEnc.block."):
        key = "encoder." + key[len("CodecEnc.") :]
    elif m := re.fullmatch(r"generator\.model\.(\d+)\.(.*)", key):
        index = int(m.group(1))
        key = (
            f"head.act.{m.group(2)}"
            if index == 7
            else f"head.conv.conv.{m.group(2)}"
            if index == 8
            else f"decoder.block.{index}.{m.group(2)}"
        )
    elif key.startswith("generator.quantizer.layers."):
        key = "quantizer." + key[len("generator.quantizer.") :].replace("_codebook.", "codebook.")
        if re.search(r"_proj\.weight_[gv]$", key):  # weight-normed Linear -> 1x1 Conv1d
            value = value.unsqueeze(-1)
    else:
        return None
    # Encoder/DecoderBlock are plain Sequentials in codeclab: their own `block.` level goes
    key = re.sub(r"^(encoder|decoder)\.block\.(\d+)\.block\.", r"\1.block.\2.", key)
    key = rename_weight_norm(key)
    if key.endswith((".alpha", ".beta")):
        value = value.reshape(1, -1, 1)
    return key, value


def convert(checkpoint: Path) -> ConvertedCheckpoint:
    """checkpoint: bigcodec.pt (or a training .ckpt); a BigCodec model config beside it is read if present."""
    checkpoint = Path(checkpoint)
    cfg, where = read_config(checkpoint)
    overrides = bigcodec_overrides(cfg, where)
    weights = find_weights(checkpoint, ("bigcodec.pt", "model.ckpt", "last.ckpt"))
    try:
        obj = torch.load(weights, map_location="cpu", weights_only=True)
    except Exception as err:
        raise ValueError(
            f"{weights}: cannot be read with torch.load(weights_only=True) ({err}); codeclab never unpickles code"
        ) from err
    state, dropped = flatten(obj, str(weights))
    bad = [k for k, v in state.items() if k.endswith(".filter") and not _filter_ok(v)]
    if bad:
        raise ValueError(f"{weights}: anti-aliasing filters differ from codeclab's (ratio 2, 12 taps): {bad[:5]}")
    state = {k: v for k, v in state.items() if not k.endswith(".filter")}
    codec_state = remap(state, _rule, str(weights))
    check_against(codec_state, expected_state("bigcodec", overrides, meta=True), str(weights))
    return ConvertedCheckpoint(
        "bigcodec",
        overrides,
        codec_state,
        None,
        {
            "format": "bigcodec",
            "checkpoint": str(checkpoint),
            "config": where,
            "dropped_discriminator_keys": len(dropped),
        },
    )
