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


class SnakeBeta(nn.Module):
    """Snake with separate frequency (alpha) and magnitude (beta) per channel (BigVGAN; Oobleck, BigCodec).

    x + 1/beta * sin^2(alpha x). With `logscale` the parameters are stored as logs (initialised at 0,
    i.e. alpha = beta = 1), as in BigVGAN's `alpha_logscale=True`. x: (B, C, T) -> (B, C, T).
    """

    def __init__(self, channels: int, logscale: bool = True) -> None:
        super().__init__()
        init = torch.zeros if logscale else torch.ones
        self.alpha = nn.Parameter(init(1, channels, 1))
        self.beta = nn.Parameter(init(1, channels, 1))
        self.logscale = logscale

    def forward(self, x: Tensor) -> Tensor:
        alpha, beta = (self.alpha.exp(), self.beta.exp()) if self.logscale else (self.alpha, self.beta)
        return x + (beta + 1e-9).reciprocal() * torch.sin(alpha * x).pow(2)
