"""Waveform output head: (activation +) conv to audio channels (+ tanh), as ending EnCodec / DAC decoders."""

from __future__ import annotations

from torch import Tensor, nn

from src.head.base import Head
from src.nn.activations import make_activation
from src.nn.conv import SConv1d, resolve_pad_mode


class WaveformHead(Head):
    """h (B, in_dim, T) -> wav (B, channels, T); `upsample` = 1.

    activation: 'elu' (EnCodec), 'snake' (DAC), 'snake_beta' (Oobleck/BigCodec; with `antialias`
    for BigCodec) or 'none'. `tanh` bounds the output to (-1, 1) as in DAC/BigCodec (EnCodec and
    Stable Audio's VAE leave it off). `bias=False` matches Oobleck's last conv.
    """

    upsample = 1

    def __init__(
        self,
        in_dim: int,
        channels: int = 1,
        activation: str = "elu",
        antialias: bool = False,
        kernel_size: int = 7,
        bias: bool = True,
        tanh: bool = False,
        causal: bool = False,
        norm: str = "weight_norm",
        pad_mode: str | None = None,
    ) -> None:
        super().__init__()
        self.in_dim, self.channels = int(in_dim), int(channels)
        self.act = make_activation(activation, in_dim, antialias=antialias)
        self.conv = SConv1d(
            in_dim,
            channels,
            kernel_size,
            bias=bias,
            causal=causal,
            norm=norm,
            pad_mode=resolve_pad_mode(pad_mode, causal, "head.pad_mode"),
        )
        self.out_act = nn.Tanh() if tanh else nn.Identity()

    def forward(self, h: Tensor) -> Tensor:
        """h: (B, in_dim, T) -> wav: (B, channels, T)."""
        if h.dim() != 3 or h.shape[1] != self.in_dim:
            raise ValueError(f"WaveformHead expects (B, {self.in_dim}, T) (head.in_dim), got {tuple(h.shape)}")
        return self.out_act(self.conv(self.act(h)))
