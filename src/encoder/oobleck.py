"""Oobleck encoder of Stable Audio's VAE (Evans et al. 2024, stable-audio-tools `OobleckEncoder`)."""

from __future__ import annotations

from collections.abc import Sequence

from src.encoder.base import Encoder
from src.nn.activations import activation_factory
from src.nn.blocks import StridedEncoder


class OobleckEncoder(StridedEncoder, Encoder):
    """wav (B, channels, T) -> z (B, latent_dim, T / prod(strides)).

    Widths base_channels * [1, *c_mults] (stable-audio-tools calls base_channels `channels`; here
    `channels` is the audio channel count, as for every codeclab encoder). For a VAE bottleneck
    latent_dim is 2x the VAE latent (mean and scale). `use_snake` picks SnakeBeta over ELU.
    """

    def __init__(
        self,
        channels: int = 2,
        latent_dim: int = 128,
        base_channels: int = 128,
        c_mults: Sequence[int] = (1, 2, 4, 8, 16),
        strides: Sequence[int] = (2, 4, 4, 8, 8),
        use_snake: bool = True,
        antialias: bool = False,
    ) -> None:
        if len(c_mults) != len(strides):
            raise ValueError(
                f"encoder.c_mults ({list(c_mults)}) and encoder.strides ({list(strides)}) need the same length"
            )
        widths = [base_channels * m for m in (1, *c_mults)]
        act = activation_factory("snake_beta" if use_snake else "elu", antialias=antialias)
        super().__init__(channels, latent_dim, widths, strides, act)
