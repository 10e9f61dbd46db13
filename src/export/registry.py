"""The formats `python -m src.export format=<name>` writes: name -> export(codec, cfg, out)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from omegaconf import DictConfig

from src.codec import Codec
from src.export import dac, encodec, hf_dac, hf_encodec, oobleck, vocos

EXPORTERS: dict[str, Callable[[Codec, DictConfig, Path], None]] = {
    "dac": dac.export,  # weights.pth for descript-audio-codec's DAC.load
    "encodec": encodec.export,  # a state dict for the `encodec` package's EncodecModel (24 kHz)
    "hf_dac": hf_dac.export,  # a transformers DacModel save_pretrained directory
    "hf_encodec": hf_encodec.export,  # a transformers EncodecModel save_pretrained directory
    "vocos": vocos.export,  # the Vocos layout: config.yaml + pytorch_model.bin
    "oobleck": oobleck.export,  # stable-audio-tools: model_config.json + model.safetensors
}
