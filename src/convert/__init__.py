"""Published codec checkpoints -> codeclab run directories (issue 13)."""
from __future__ import annotations

from dataclasses import dataclass

import torch


@dataclass
class ConvertedCheckpoint:
    """What a format's `convert(checkpoint)` returns: the preset and overrides that build the codec, and
    its state dict in codeclab's layout (plus the discriminators' when the checkpoint holds them)."""

    preset: str
    overrides: list[str]
    codec_state: dict[str, torch.Tensor]
    discriminator_state: dict[str, torch.Tensor] | None
    source: dict
