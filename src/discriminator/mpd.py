"""Multi-period discriminator (Kong et al. 2020, HiFi-GAN); widths configurable for DAC's and BigCodec's."""

from __future__ import annotations

from collections.abc import Sequence

from torch import Tensor, nn

from src.discriminator.common import ConditionedPost, ConvStack, MultiDiscriminator
from src.nn.conv import conv2d, pad1d


class PeriodDiscriminator(nn.Module):
    """Folds wav (B, C, T) into (B, C, ceil(T/p), p) and runs (k x 1) convs along the folded time axis.

    -> logits (B, 1, T', p), fmaps: the activation of every conv (len(filters) maps).
    """

    def __init__(
        self,
        period: int,
        channels: int,
        filters: Sequence[int],
        kernel_size: int,
        strides: Sequence[int],
        post_kernel_size: int,
        negative_slope: float,
        norm: str,
        num_bandwidths: int | None,
    ) -> None:
        super().__init__()
        self.period = int(period)
        convs, in_ch = [], channels
        for out_ch, stride in zip(filters, strides):
            convs.append(conv2d(in_ch, out_ch, (kernel_size, 1), (stride, 1), norm=norm))
            in_ch = out_ch
        self.stack = ConvStack(convs, negative_slope)
        self.post = ConditionedPost(conv2d(in_ch, 1, (post_kernel_size, 1), norm=norm), in_ch, num_bandwidths)

    def forward(self, wav: Tensor, bandwidth_id: Tensor | None = None) -> tuple[Tensor, list[Tensor]]:
        b, c, t = wav.shape
        # reflect-pad to a whole number of periods (HiFi-GAN); pad1d also copes with T < period
        x = pad1d(wav, (0, (-t) % self.period), "reflect").view(b, c, -1, self.period)
        h, fmaps = self.stack(x)
        return self.post(h, bandwidth_id), fmaps


class MultiPeriodDiscriminator(MultiDiscriminator):
    """One PeriodDiscriminator per period. wav (B, C, T) -> DiscriminatorOutput with len(periods) logits.

    Defaults are HiFi-GAN's = DAC's (8.22 M parameters per period at channels=1). BigCodec:
    filters [16, 64, 256, 512, 512], post_kernel_size 2 (10.28 M in all).
    """

    def __init__(
        self,
        channels: int = 1,
        periods: Sequence[int] = (2, 3, 5, 7, 11),
        filters: Sequence[int] = (32, 128, 512, 1024, 1024),
        kernel_size: int = 5,
        strides: Sequence[int] = (3, 3, 3, 3, 1),
        post_kernel_size: int = 3,
        negative_slope: float = 0.1,
        norm: str = "weight_norm",
        num_bandwidths: int | None = None,
        peak_normalize: bool = False,
    ) -> None:
        if len(filters) != len(strides):
            raise ValueError(
                f"discriminator.mpd: filters ({len(filters)}) and strides ({len(strides)}) "
                "must have one entry per conv layer"
            )
        subs = [
            PeriodDiscriminator(
                p,
                channels,
                filters,
                kernel_size,
                strides,
                post_kernel_size,
                negative_slope,
                norm,
                num_bandwidths,
            )
            for p in periods
        ]
        super().__init__(subs, channels, num_bandwidths, peak_normalize)
        self.periods = list(periods)
