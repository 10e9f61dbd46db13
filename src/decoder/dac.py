"""DAC decoder (Kumar et al. 2023, "High-Fidelity Audio Compression with Improved RVQGAN")."""

from __future__ import annotations

from collections.abc import Sequence

from src.decoder.base import Decoder
from src.nn.activations import activation_factory
from src.nn.blocks import StridedDecoder


class DACDecoder(StridedDecoder, Decoder):
    """z_q (B, latent_dim, F) -> h (B, channels // 2**len(strides), F * prod(strides)).

    Stem to `channels` (1536 in DAC), halved by every upsampling block (-> 96); the head
    (Snake + conv + tanh) follows. Odd strides are exact here (see src/nn/blocks.decoder_block) unless
    exact_odd_strides=False, which drops one sample per odd stride as the released DAC code does.
    """

    def __init__(
        self,
        latent_dim: int = 1024,
        out_dim: int = 96,
        channels: int = 1536,
        strides: Sequence[int] = (8, 8, 4, 2),
        dilations: Sequence[int] = (1, 3, 9),
        activation: str = "snake",
        exact_odd_strides: bool = True,
    ) -> None:
        widths = [channels // 2**i for i in range(len(strides) + 1)]
        super().__init__(
            latent_dim,
            out_dim,
            widths,
            strides,
            activation_factory(activation),
            dilations,
            exact_odd_strides=exact_odd_strides,
        )
