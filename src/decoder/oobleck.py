"""Oobleck decoder of Stable Audio's VAE (Evans et al. 2024, stable-audio-tools `OobleckDecoder`)."""

from __future__ import annotations

from collections.abc import Sequence

from src.decoder.base import Decoder
from src.nn.activations import activation_factory
from src.nn.blocks import StridedDecoder


class OobleckDecoder(StridedDecoder, Decoder):
    """z_q (B, latent_dim, F) -> h (B, base_channels, F * prod(strides)); the head follows.

    `c_mults` and `strides` are given in ENCODER order (same lists as the encoder, as in
    stable-audio-tools) and walked backwards. `nearest_upsample` swaps the transposed convs for
    nearest-neighbour repeat + conv.
    """

    def __init__(
        self,
        latent_dim: int = 64,
        out_dim: int = 128,
        base_channels: int = 128,
        c_mults: Sequence[int] = (1, 2, 4, 8, 16),
        strides: Sequence[int] = (2, 4, 4, 8, 8),
        use_snake: bool = True,
        antialias: bool = False,
        nearest_upsample: bool = False,
    ) -> None:
        if len(c_mults) != len(strides):
            raise ValueError(
                f"decoder.c_mults ({list(c_mults)}) and decoder.strides ({list(strides)}) need the same length"
            )
        widths = [base_channels * m for m in reversed((1, *c_mults))]
        act = activation_factory("snake_beta" if use_snake else "elu", antialias=antialias)
        super().__init__(latent_dim, out_dim, widths, list(reversed(strides)), act, nearest_upsample=nearest_upsample)
