"""Multi-scale discriminator (Kumar et al. 2019, MelGAN; HiFi-GAN's widths): 1-D grouped convs on the
waveform average-pooled 0, 1, 2, ... times."""

from __future__ import annotations

from collections.abc import Sequence

import torch.nn.functional as F
from torch import Tensor, nn

from src.discriminator.common import ConditionedPost, ConvStack, MultiDiscriminator
from src.nn.conv import conv1d


class ScaleDiscriminator(nn.Module):
    """wav (B, C, T) pooled `n_pool` times -> logits (B, 1, T'), fmaps: every conv's activation."""

    def __init__(
        self,
        n_pool: int,
        channels: int,
        filters: Sequence[int],
        kernel_sizes: Sequence[int],
        strides: Sequence[int],
        groups: Sequence[int],
        post_kernel_size: int,
        negative_slope: float,
        norm: str,
        pool: Sequence[int],
        num_bandwidths: int | None,
    ) -> None:
        super().__init__()
        self.n_pool, self.pool = n_pool, tuple(int(p) for p in pool)
        convs, in_ch = [], channels
        for out_ch, k, s, g in zip(filters, kernel_sizes, strides, groups):
            convs.append(conv1d(in_ch, out_ch, k, s, g, norm=norm))
            in_ch = out_ch
        self.stack = ConvStack(convs, negative_slope)
        self.post = ConditionedPost(conv1d(in_ch, 1, post_kernel_size, norm=norm), in_ch, num_bandwidths)

    def forward(self, wav: Tensor, bandwidth_id: Tensor | None = None) -> tuple[Tensor, list[Tensor]]:
        x = wav
        kernel, stride, padding = self.pool
        for _ in range(self.n_pool):
            x = F.avg_pool1d(x, kernel, stride, padding, count_include_pad=True)
        h, fmaps = self.stack(x)
        return self.post(h, bandwidth_id), fmaps


class MultiScaleDiscriminator(MultiDiscriminator):
    """n_scales ScaleDiscriminators on x, pool(x), pool(pool(x)), ... -> n_scales logits.

    Defaults are HiFi-GAN's (spectral norm on the raw-rate scale, weight norm on the pooled ones,
    AvgPool1d(4, 2, padding=2)). MelGAN/DAC widths: filters [16, 64, 256, 1024, 1024, 1024],
    groups [1, 4, 16, 64, 256, 1], strides [1, 4, 4, 4, 4, 1], kernel_sizes [15, 41, 41, 41, 41, 5].
    """

    def __init__(
        self,
        channels: int = 1,
        n_scales: int = 3,
        filters: Sequence[int] = (128, 128, 256, 512, 1024, 1024, 1024),
        kernel_sizes: Sequence[int] = (15, 41, 41, 41, 41, 41, 5),
        strides: Sequence[int] = (1, 2, 2, 4, 4, 1, 1),
        groups: Sequence[int] = (1, 4, 16, 16, 16, 16, 1),
        post_kernel_size: int = 3,
        negative_slope: float = 0.1,
        norm: str = "weight_norm",
        first_scale_norm: str = "spectral_norm",
        pool: Sequence[int] = (4, 2, 2),
        num_bandwidths: int | None = None,
        peak_normalize: bool = False,
    ) -> None:
        lengths = {len(filters), len(kernel_sizes), len(strides), len(groups)}
        if len(lengths) != 1:
            raise ValueError(
                "discriminator.msd: filters, kernel_sizes, strides and groups must have the same "
                f"length (one entry per conv); got {len(filters)}, {len(kernel_sizes)}, "
                f"{len(strides)}, {len(groups)}"
            )
        subs = [
            ScaleDiscriminator(
                i,
                channels,
                filters,
                kernel_sizes,
                strides,
                groups,
                post_kernel_size,
                negative_slope,
                first_scale_norm if i == 0 else norm,
                pool,
                num_bandwidths,
            )
            for i in range(n_scales)
        ]
        super().__init__(subs, channels, num_bandwidths, peak_normalize)
