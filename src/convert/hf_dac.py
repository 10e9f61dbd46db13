"""Hugging Face transformers `DacModel` (DAC, Kumar et al. 2023) save_pretrained dirs -> the dac_* presets.

config.json (DacConfig) decides the preset through the official DAC kwargs it stands for; the weights
(model.safetensors) are plain convolutions, split here into codeclab's weight-norm (g, v) pairs.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from src.convert import ConvertedCheckpoint, dac
from src.convert.common import (
    check_keys,
    expected_state,
    fold_weight_norm,
    load_safetensors,
    split_weight_norm,
)

UNIT = {"snake1": 0, "conv1": 1, "snake2": 2, "conv2": 3}  # DacResidualUnit -> ResidualUnit.block index


def read_config(path: Path, model_type: str) -> dict:
    """A save_pretrained directory's config.json, checked to be of `model_type`."""
    file = path / "config.json" if path.is_dir() else path.parent / "config.json"
    if not file.is_file():
        raise FileNotFoundError(
            f"{file} not found: give checkpoint=<a save_pretrained directory> holding config.json and model.safetensors"
        )
    config = json.loads(file.read_text())
    if config.get("model_type") != model_type:
        raise ValueError(f"{file}: model_type={config.get('model_type')!r}, expected {model_type!r}")
    return config


def read_weights(path: Path) -> tuple[Path, dict]:
    """model.safetensors of a save_pretrained dir (sharded files are merged) -> (file, state dict)."""
    files = sorted(path.glob("model*.safetensors")) if path.is_dir() else [path]
    if not files:
        raise FileNotFoundError(
            f"{path}: no model*.safetensors (save with save_pretrained(..., "
            "safe_serialization=True); .bin pickles are not read)"
        )
    state = {}
    for file in files:
        state.update(load_safetensors(file))
    return files[0], state


def dac_kwargs(config: dict) -> dict:
    """DacConfig -> the official DAC(**kwargs) it describes."""
    return {
        "encoder_dim": config["encoder_hidden_size"],
        "encoder_rates": list(config["downsampling_ratios"]),
        "latent_dim": config["hidden_size"],
        "decoder_dim": config["decoder_hidden_size"],
        "decoder_rates": list(config["upsampling_ratios"]),
        "n_codebooks": config["n_codebooks"],
        "codebook_size": config["codebook_size"],
        "codebook_dim": config["codebook_dim"],
        "sample_rate": config["sampling_rate"],
    }


def hf_to_codeclab_key(key: str, n: int) -> str:
    """One transformers DacModel name -> codeclab's (n = number of strided blocks)."""
    rules = [
        (r"^encoder\.conv1\.", lambda m: "encoder.block.0."),
        (
            r"^encoder\.block\.(\d+)\.res_unit(\d)\.(\w+)\.",
            lambda m: f"encoder.block.{int(m[1]) + 1}.{int(m[2]) - 1}.block.{UNIT[m[3]]}.",
        ),
        (r"^encoder\.block\.(\d+)\.snake1\.", lambda m: f"encoder.block.{int(m[1]) + 1}.3."),
        (r"^encoder\.block\.(\d+)\.conv1\.", lambda m: f"encoder.block.{int(m[1]) + 1}.4."),
        (r"^encoder\.snake1\.", lambda m: f"encoder.block.{n + 1}."),
        (r"^encoder\.conv2\.", lambda m: f"encoder.block.{n + 2}."),
        (r"^decoder\.conv1\.", lambda m: "decoder.block.0."),
        (r"^decoder\.block\.(\d+)\.snake1\.", lambda m: f"decoder.block.{int(m[1]) + 1}.0."),
        (r"^decoder\.block\.(\d+)\.conv_t1\.", lambda m: f"decoder.block.{int(m[1]) + 1}.1."),
        (
            r"^decoder\.block\.(\d+)\.res_unit(\d)\.(\w+)\.",
            lambda m: f"decoder.block.{int(m[1]) + 1}.{int(m[2]) + 1}.block.{UNIT[m[3]]}.",
        ),
        (r"^decoder\.snake1\.", lambda m: "head.act."),
        (r"^decoder\.conv2\.", lambda m: "head.conv.conv."),
        (r"^quantizer\.quantizers\.", lambda m: "quantizer.layers."),
    ]
    for pattern, repl in rules:
        new, count = re.subn(pattern, repl, key, count=1)
        if count:
            return new
    return key


def convert(checkpoint: Path) -> ConvertedCheckpoint:
    """A DacModel.save_pretrained directory -> the codeclab dac_* preset its config describes."""
    config = read_config(checkpoint, "dac")
    kwargs = dac_kwargs(config)
    preset, overrides = dac.choose_preset(kwargs, str(checkpoint))
    file, state = read_weights(checkpoint)
    state = fold_weight_norm(state)  # a checkpoint saved with weight norm applied holds (g, v) pairs
    n = len(kwargs["decoder_rates"])
    renamed = {hf_to_codeclab_key(k, n): v for k, v in state.items()}
    expected = expected_state(preset, overrides)
    converted = split_weight_norm(renamed, expected)
    check_keys(converted, expected, str(file))
    return ConvertedCheckpoint(
        preset, overrides, converted, None, {"format": "hf_dac", "file": str(file), "config": config, "kwargs": kwargs}
    )
