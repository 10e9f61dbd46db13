"""The checkpoint formats `python -m src.convert source=<format>` reads: name -> convert(checkpoint)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from src.convert import (
    ConvertedCheckpoint,
    bigcodec,
    dac,
    encodec,
    hf_dac,
    hf_encodec,
    oobleck,
    vocos,
    wavtokenizer,
)

FORMATS: dict[str, Callable[[Path], ConvertedCheckpoint]] = {
    "dac": dac.convert,  # descript-audio-codec weights.pth {"state_dict", "metadata": {"kwargs"}}
    "encodec": encodec.convert,  # the `encodec` package's EncodecModel state dict (24 kHz)
    "hf_dac": hf_dac.convert,  # transformers DacModel save_pretrained dir (config.json + safetensors)
    "hf_encodec": hf_encodec.convert,  # transformers EncodecModel save_pretrained dir
    "vocos": vocos.convert,  # Vocos (mel): config.yaml + pytorch_model.bin
    "wavtokenizer": wavtokenizer.convert,  # WavTokenizer Lightning checkpoint + its config (40 / 75 Hz)
    "bigcodec": bigcodec.convert,  # BigCodec bigcodec.pt or a training .ckpt
    "oobleck": oobleck.convert,  # stable-audio-tools Oobleck VAE (model config + weights)
}
