"""BigCodec decoder (Xin et al. 2024, "BigCodec: Pushing the Limits of Low-Bitrate Neural Speech Codec")."""

from __future__ import annotations

from collections.abc import Sequence

from src.decoder.base import Decoder
from src.nn.activations import activation_factory
from src.nn.blocks import StridedDecoder


class BigCodecDecoder(StridedDecoder, Decoder):
    """z_q (B, latent_dim, F) -> h (B, channels // 2**len(strides), F * prod(strides)).

    Stem to `channels` (1536), unidirectional residual LSTM, then upsampling blocks halving the width
    (-> 48) with anti-aliased SnakeBeta; the head (anti-aliased SnakeBeta + conv + tanh) follows.
    """

    def __init__(
        self,
        latent_dim: int = 1024,
        out_dim: int = 48,
        channels: int = 1536,
        strides: Sequence[int] = (5, 5, 2, 2, 2),
        dilations: Sequence[int] = (1, 3, 9),
        lstm: int = 2,
        activation: str = "snake_beta",
        antialias: bool = True,
    ) -> None:
        widths = [channels // 2**i for i in range(len(strides) + 1)]
        act = activation_factory(activation, antialias=antialias)
        super().__init__(latent_dim, out_dim, widths, strides, act, dilations, lstm=lstm)
