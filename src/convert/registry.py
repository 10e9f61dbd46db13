"""The checkpoint formats `python -m src.convert source=<format>` reads: name -> convert(checkpoint)."""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from src.convert import ConvertedCheckpoint, dac, encodec, hf_dac, hf_encodec

FORMATS: dict[str, Callable[[Path], ConvertedCheckpoint]] = {
    "dac": dac.convert,  # descript-audio-codec weights.pth {"state_dict", "metadata": {"kwargs"}}
    "encodec": encodec.convert,  # the `encodec` package's EncodecModel state dict (24 kHz)
    "hf_dac": hf_dac.convert,  # transformers DacModel save_pretrained dir (config.json + safetensors)
    "hf_encodec": hf_encodec.convert,  # transformers EncodecModel save_pretrained dir
}
