"""Snake activation x + 1/alpha * sin^2(alpha x) (Ziyin et al. 2020; used by BigVGAN, DAC, Oobleck)."""
from __future__ import annotations

import torch
from torch import Tensor, nn


class Snake1d(nn.Module):
    """Per-channel learnable alpha. x: (B, C, T) -> (B, C, T)."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.alpha = nn.Parameter(torch.ones(1, channels, 1))

    def forward(self, x: Tensor) -> Tensor:
        # 1e-9 keeps the reciprocal finite when alpha is driven to zero
        return x + (self.alpha + 1e-9).reciprocal() * torch.sin(self.alpha * x).pow(2)
