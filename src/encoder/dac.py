"""DAC encoder (Kumar et al. 2023, "High-Fidelity Audio Compression with Improved RVQGAN")."""

from __future__ import annotations

from collections.abc import Sequence

from src.encoder.base import Encoder
from src.nn.activations import activation_factory
from src.nn.blocks import StridedEncoder


class DACEncoder(StridedEncoder, Encoder):
    """wav (B, channels, T) -> z (B, latent_dim, T / prod(strides)).

    Width d_model after the stem, doubled by every strided block (64 -> 1024 for 4 blocks), Snake
    activations, residual units with dilations 1/3/9, weight-normed convs (descript-audio-codec).
    """

    def __init__(
        self,
        channels: int = 1,
        latent_dim: int = 1024,
        d_model: int = 64,
        strides: Sequence[int] = (2, 4, 8, 8),
        dilations: Sequence[int] = (1, 3, 9),
        activation: str = "snake",
    ) -> None:
        widths = [d_model * 2**i for i in range(len(strides) + 1)]
        super().__init__(channels, latent_dim, widths, strides, activation_factory(activation), dilations)
