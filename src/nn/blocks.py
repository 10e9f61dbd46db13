"""Strided residual conv stacks shared by the DAC, Oobleck and BigCodec encoders and decoders.

DAC (Kumar et al. 2023), Oobleck (Stable Audio, Evans et al. 2024) and BigCodec (Xin et al. 2024)
share one skeleton: a k7 stem, blocks of residual units (dilations 1/3/9) around a strided conv
(kernel 2 x stride), an optional LSTM, and a k3 conv to the latent. They differ in widths, the
activation (Snake / SnakeBeta / anti-aliased SnakeBeta / ELU) and the LSTM, which the subclasses set.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from torch import Tensor, nn

from src.nn.activations import ActivationFactory
from src.nn.conv import WNConv1d, WNConvTranspose1d
from src.nn.lstm import SLSTM
from src.nn.resblocks import ResidualUnit


def encoder_block(
    in_dim: int, out_dim: int, stride: int, act: ActivationFactory, dilations: Sequence[int] = (1, 3, 9)
) -> nn.Sequential:
    """(B, in_dim, T) -> (B, out_dim, T / stride) for T a multiple of stride."""
    units = [ResidualUnit(in_dim, act, d) for d in dilations]
    down = WNConv1d(in_dim, out_dim, 2 * stride, stride=stride, padding=math.ceil(stride / 2))
    return nn.Sequential(*units, act(in_dim), down)


def decoder_block(
    in_dim: int,
    out_dim: int,
    stride: int,
    act: ActivationFactory,
    dilations: Sequence[int] = (1, 3, 9),
    nearest_upsample: bool = False,
    exact_odd_strides: bool = True,
) -> nn.Sequential:
    """(B, in_dim, F) -> (B, out_dim, F * stride) (F * stride - 1 for an odd stride when not exact).

    output_padding = stride % 2 makes odd strides exact (DAC's own code loses one sample per odd
    stride; exact_odd_strides=False reproduces that, for converted DAC checkpoints); nearest_upsample replaces the
    transposed conv by repeat + conv (Oobleck's option, which
    avoids checkerboard artefacts).
    """
    if nearest_upsample:
        k = 2 * stride
        up: list[nn.Module] = [
            nn.Upsample(scale_factor=stride, mode="nearest"),
            nn.ConstantPad1d(((k - 1) // 2, k // 2), 0.0),
            WNConv1d(in_dim, out_dim, k, bias=False),
        ]
    else:
        up = [
            WNConvTranspose1d(
                in_dim,
                out_dim,
                2 * stride,
                stride=stride,
                padding=math.ceil(stride / 2),
                output_padding=stride % 2 if exact_odd_strides else 0,
            )
        ]
    units = [ResidualUnit(out_dim, act, d) for d in dilations]
    return nn.Sequential(act(in_dim), *up, *units)


class StridedEncoder(nn.Module):
    """wav (B, channels, T) -> z (B, latent_dim, T / prod(strides)).

    widths: len(strides) + 1 channel counts; widths[0] after the stem, widths[i + 1] after block i.
    """

    def __init__(
        self,
        channels: int,
        latent_dim: int,
        widths: Sequence[int],
        strides: Sequence[int],
        act: ActivationFactory,
        dilations: Sequence[int] = (1, 3, 9),
        lstm: int = 0,
    ) -> None:
        super().__init__()
        if len(widths) != len(strides) + 1:
            raise ValueError(f"encoder: {len(strides)} strides need {len(strides) + 1} widths, got {list(widths)}")
        self.channels, self.latent_dim = int(channels), int(latent_dim)
        self.strides = [int(s) for s in strides]
        self.hop_length = math.prod(self.strides)
        layers: list[nn.Module] = [WNConv1d(channels, widths[0], 7, padding=3)]
        for i, stride in enumerate(self.strides):
            layers.append(encoder_block(widths[i], widths[i + 1], stride, act, dilations))
        if lstm:
            layers.append(SLSTM(widths[-1], num_layers=lstm))
        layers += [act(widths[-1]), WNConv1d(widths[-1], latent_dim, 3, padding=1)]
        self.block = nn.Sequential(*layers)

    def forward(self, wav: Tensor) -> Tensor:
        """wav: (B, channels, T), T a multiple of hop_length -> z: (B, latent_dim, T / hop_length)."""
        if wav.dim() != 3 or wav.shape[1] != self.channels:
            raise ValueError(f"{type(self).__name__} expects (B, {self.channels}, T), got {tuple(wav.shape)}")
        return self.block(wav)


class StridedDecoder(nn.Module):
    """z_q (B, latent_dim, F) -> h (B, widths[-1], F * prod(strides)); the waveform head follows.

    widths: len(strides) + 1 channel counts; widths[0] after the stem (and LSTM), widths[i + 1] after
    upsampling block i. exact_odd_strides=False: one sample fewer per odd stride, as DAC's released
    code (the output is then F * prod(strides) minus a few samples). `out_dim` is checked against widths[-1] so
    that a config mismatch is named.
    """

    def __init__(
        self,
        latent_dim: int,
        out_dim: int,
        widths: Sequence[int],
        strides: Sequence[int],
        act: ActivationFactory,
        dilations: Sequence[int] = (1, 3, 9),
        lstm: int = 0,
        nearest_upsample: bool = False,
        exact_odd_strides: bool = True,
    ) -> None:
        super().__init__()
        if len(widths) != len(strides) + 1:
            raise ValueError(f"decoder: {len(strides)} strides need {len(strides) + 1} widths, got {list(widths)}")
        if int(out_dim) != int(widths[-1]):
            raise ValueError(
                f"decoder.out_dim={out_dim} but this decoder ends with {widths[-1]} channels: "
                "fix decoder.out_dim (the head's in_dim follows it)"
            )
        self.latent_dim, self.out_dim = int(latent_dim), int(out_dim)
        self.strides = [int(s) for s in strides]
        self.upsample = math.prod(self.strides)
        layers: list[nn.Module] = [WNConv1d(latent_dim, widths[0], 7, padding=3)]
        if lstm:
            layers.append(SLSTM(widths[0], num_layers=lstm))
        for i, stride in enumerate(self.strides):
            layers.append(
                decoder_block(widths[i], widths[i + 1], stride, act, dilations, nearest_upsample, exact_odd_strides)
            )
        self.block = nn.Sequential(*layers)

    def forward(self, z_q: Tensor, bandwidth_id: Tensor | None = None) -> Tensor:
        """z_q: (B, latent_dim, F) -> h: (B, out_dim, F * upsample). bandwidth_id is unused here."""
        return self.block(z_q)
