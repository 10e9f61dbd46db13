"""Residual blocks shared by the encoders and their mirror decoders.

- SEANetResBlock: EnCodec/SEANet (Zeghidour et al. 2021; Défossez et al. 2022).
- ResidualUnit: DAC (Kumar et al. 2023), reused by Oobleck and BigCodec with other activations.
"""

from __future__ import annotations

from torch import Tensor, nn

from src.nn.activations import ActivationFactory
from src.nn.conv import SConv1d, WNConv1d


class SEANetResBlock(nn.Module):
    """act -> conv(k, dilation) to dim // compress -> act -> conv(1) back to dim, plus a skip.

    The skip is a 1x1 conv unless `true_skip` (EnCodec's default is the conv). x: (B, dim, T) -> same.
    """

    def __init__(
        self,
        dim: int,
        act: ActivationFactory,
        kernel_size: int = 3,
        dilation: int = 1,
        compress: int = 2,
        true_skip: bool = False,
        causal: bool = False,
        norm: str = "weight_norm",
        pad_mode: str = "reflect",
    ) -> None:
        super().__init__()
        hidden = dim // compress
        conv = {"causal": causal, "norm": norm, "pad_mode": pad_mode}
        self.block = nn.Sequential(
            act(dim),
            SConv1d(dim, hidden, kernel_size, dilation=dilation, **conv),
            act(hidden),
            SConv1d(hidden, dim, 1, **conv),
        )
        self.shortcut = nn.Identity() if true_skip else SConv1d(dim, dim, 1, **conv)

    def forward(self, x: Tensor) -> Tensor:
        return self.shortcut(x) + self.block(x)


class ResidualUnit(nn.Module):
    """act -> WNConv(7, dilation) -> act -> WNConv(1), plus identity. x: (B, dim, T) -> same length.

    Zero 'same' padding keeps the length, so no cropping of the skip is needed.
    """

    def __init__(self, dim: int, act: ActivationFactory, dilation: int = 1, kernel_size: int = 7) -> None:
        super().__init__()
        pad = dilation * (kernel_size - 1) // 2
        self.block = nn.Sequential(
            act(dim),
            WNConv1d(dim, dim, kernel_size, dilation=dilation, padding=pad),
            act(dim),
            WNConv1d(dim, dim, 1),
        )

    def forward(self, x: Tensor) -> Tensor:
        return x + self.block(x)
