"""BigCodec encoder (Xin et al. 2024, "BigCodec: Pushing the Limits of Low-Bitrate Neural Speech Codec")."""

from __future__ import annotations

from collections.abc import Sequence

from src.encoder.base import Encoder
from src.nn.activations import activation_factory
from src.nn.blocks import StridedEncoder


class BigCodecEncoder(StridedEncoder, Encoder):
    """wav (B, channels, T) -> z (B, latent_dim, T / prod(strides)).

    DAC-like residual CNN (width ngf doubled per block: 48 -> 1536) with anti-aliased SnakeBeta
    activations (BigVGAN) and a unidirectional residual LSTM before the last conv.
    """

    def __init__(
        self,
        channels: int = 1,
        latent_dim: int = 1024,
        ngf: int = 48,
        strides: Sequence[int] = (2, 2, 2, 5, 5),
        dilations: Sequence[int] = (1, 3, 9),
        lstm: int = 2,
        activation: str = "snake_beta",
        antialias: bool = True,
    ) -> None:
        widths = [ngf * 2**i for i in range(len(strides) + 1)]
        act = activation_factory(activation, antialias=antialias)
        super().__init__(channels, latent_dim, widths, strides, act, dilations, lstm=lstm)
