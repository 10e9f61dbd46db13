"""Tanh bottleneck (stable-audio-tools, Evans et al. 2024): bounds the latent to (-1, 1)."""

from __future__ import annotations

import torch
from torch import Tensor

from src.quantizer.base import ContinuousBottleneck
from src.types import QuantizerOutput


class Tanh(ContinuousBottleneck):
    """z: (B, D, F) -> tanh(z / scale) * scale (scale 1 = stable-audio-tools' TanhBottleneck)."""

    aux_loss_names = ()  # no auxiliary loss: the reconstruction losses alone train it

    def __init__(self, input_dim: int, output_dim: int | None = None, scale: float = 1.0) -> None:
        super().__init__(input_dim, output_dim)
        if scale <= 0:
            raise ValueError(f"quantizer.scale={scale} must be > 0")
        self.scale = float(scale)

    def forward(self, z: Tensor, mask: Tensor | None = None, n_quantizers: int | None = None) -> QuantizerOutput:
        self.check(z, mask, n_quantizers)
        return QuantizerOutput(torch.tanh(z / self.scale) * self.scale)
