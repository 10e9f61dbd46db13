"""The formats `python -m src.export format=<name>` writes: name -> export(codec, cfg, out)."""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from omegaconf import DictConfig

from src.codec import Codec

EXPORTERS: dict[str, Callable[[Codec, DictConfig, Path], None]] = {
}
