"""Hugging Face transformers `EncodecModel` (EnCodec, Défossez et al. 2022) save_pretrained dirs ->
preset=encodec_24khz.

config.json (EncodecConfig) must describe the 24 kHz model; a key that differs is named in the error.
Names differ from the `encodec` package only in `layers` for `model` and `.conv` for `.conv.conv` /
`.convtr.convtr`; the weights already are weight-norm parametrizations.
"""

from __future__ import annotations

import re
from pathlib import Path

from src.convert import ConvertedCheckpoint
from src.convert.common import check_keys, expected_state
from src.convert.encodec import OVERRIDES, PRESET, to_codeclab
from src.convert.hf_dac import read_config, read_weights

# EncodecConfig of the released 24 kHz model (facebook/encodec_24khz); 24 kbps at 75 Hz = 32 codebooks
CONFIG_24KHZ = {
    "sampling_rate": 24000,
    "audio_channels": 1,
    "normalize": False,
    "hidden_size": 128,
    "num_filters": 32,
    "num_residual_layers": 1,
    "upsampling_ratios": [8, 5, 4, 2],
    "norm_type": "weight_norm",
    "kernel_size": 7,
    "last_kernel_size": 7,
    "residual_kernel_size": 3,
    "dilation_growth_rate": 2,
    "use_causal_conv": True,
    "pad_mode": "reflect",
    "compress": 2,
    "num_lstm_layers": 2,
    "trim_right_ratio": 1.0,
    "codebook_size": 1024,
    "codebook_dim": 128,
    "use_conv_shortcut": True,
}
CONVTR = {3 * (j + 1) for j in range(4)}  # decoder.layers indices of the four transposed convs


def check_config(config: dict, source: str) -> None:
    differ = {k: (config.get(k), v) for k, v in CONFIG_24KHZ.items() if config.get(k, v) != v}
    bandwidths = config.get("target_bandwidths") or [24.0]
    if max(bandwidths) != 24.0:
        differ["target_bandwidths"] = (bandwidths, "max 24.0 (32 codebooks)")
    if differ:
        raise ValueError(
            f"{source}: EncodecConfig is not the 24 kHz model codeclab's preset encodec_24khz "
            "reproduces; differing keys (found, expected): "
            + ", ".join(f"{k}={a!r} vs {b!r}" for k, (a, b) in differ.items())
        )


def hf_to_official_key(key: str) -> str:
    """transformers name -> the `encodec` package's (then src.convert.encodec maps it on)."""
    m = re.match(r"^(encoder|decoder)\.layers\.(\d+)\.(.*)$", key)
    if m:
        part, index, rest = m[1], int(m[2]), m[3]
        if part == "decoder" and index in CONVTR and rest.startswith("conv."):
            rest = "convtr.convtr." + rest[len("conv.") :]
        elif rest.startswith("conv.") or re.match(r"(block\.\d+|shortcut)\.conv\.", rest):
            rest = re.sub(r"(^|\.)conv\.", r"\1conv.conv.", rest, count=1)
        return f"{part}.model.{index}.{rest}"
    return re.sub(r"^quantizer\.layers\.(\d+)\.codebook\.", r"quantizer.vq.layers.\1._codebook.", key)


def convert(checkpoint: Path) -> ConvertedCheckpoint:
    """An EncodecModel.save_pretrained directory (24 kHz) -> encodec_24khz."""
    config = read_config(checkpoint, "encodec")
    check_config(config, str(checkpoint))
    file, state = read_weights(checkpoint)
    official = {hf_to_official_key(k): v for k, v in state.items()}
    expected = expected_state(PRESET, OVERRIDES)
    converted = to_codeclab(official, expected)
    check_keys(converted, expected, str(file))
    return ConvertedCheckpoint(
        PRESET, list(OVERRIDES), converted, None, {"format": "hf_encodec", "file": str(file), "config": config}
    )
