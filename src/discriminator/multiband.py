"""Multi-band multi-resolution complex STFT discriminator (Kumar et al. 2023, DAC 'Improved RVQGAN'):
each resolution's spectrogram is split into frequency bands with their own conv stacks."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor, nn

from src.discriminator.common import (
    ConditionedPost,
    ConvStack,
    MultiDiscriminator,
    Spectrogram,
    spectral_convs,
)
from src.nn.conv import conv2d

DAC_BANDS = ((0.0, 0.1), (0.1, 0.25), (0.25, 0.5), (0.5, 0.75), (0.75, 1.0))


class BandedDiscriminator(nn.Module):
    """wav (B, C, T) -> complex STFT (B, 2C, frames, bins), split into bands along bins; one conv stack per
    band, outputs concatenated along bins -> shared output conv -> logits (B, 1, frames, bins').

    fmaps: every conv activation of every band (n_bands x (len(dilations) + 2) maps).
    """

    def __init__(
        self,
        window_length: int,
        hop_factor: float,
        channels: int,
        bands: Sequence[Sequence[float]],
        filters: int,
        kernel_size,
        stride,
        dilations: Sequence[int],
        last_kernel_size,
        negative_slope: float,
        norm: str,
        num_bandwidths: int | None,
    ) -> None:
        super().__init__()
        hop = int(window_length * hop_factor)
        self.spectrogram = Spectrogram(window_length, hop, window_length, "hann", "complex", "same")
        n_bins = window_length // 2 + 1
        self.bands = [(int(lo * n_bins), int(hi * n_bins)) for lo, hi in bands]
        stacks = []
        for _ in self.bands:
            convs, width = spectral_convs(
                2 * channels,
                filters,
                filters,
                1,
                kernel_size,
                stride,
                dilations,
                last_kernel_size=last_kernel_size,
                norm=norm,
            )
            stacks.append(ConvStack(convs, negative_slope))
        self.stacks = nn.ModuleList(stacks)
        self.post = ConditionedPost(conv2d(width, 1, last_kernel_size, norm=norm), width, num_bandwidths)

    def forward(self, wav: Tensor, bandwidth_id: Tensor | None = None) -> tuple[Tensor, list[Tensor]]:
        spec = self.spectrogram(wav)
        outs, fmaps = [], []
        for (lo, hi), stack in zip(self.bands, self.stacks):
            h, band_maps = stack(spec[..., lo:hi])
            outs.append(h)
            fmaps.extend(band_maps)
        return self.post(torch.cat(outs, dim=-1), bandwidth_id), fmaps


class MultiBandDiscriminator(MultiDiscriminator):
    """One BandedDiscriminator per window length -> len(window_lengths) logits.

    Defaults are DAC's: windows 2048, 1024, 512 with hop window/4, bands at 0, .1, .25, .5, .75, 1 of the
    bins, 32 filters, (3, 9) kernels over (time, freq) with freq stride 2, LeakyReLU 0.1, and DAC's input
    preprocessing (DC removal, peak normalised to 0.8).
    """

    def __init__(
        self,
        channels: int = 1,
        window_lengths: Sequence[int] = (2048, 1024, 512),
        hop_factor: float = 0.25,
        bands: Sequence[Sequence[float]] = DAC_BANDS,
        filters: int = 32,
        kernel_size: Sequence[int] = (3, 9),
        stride: Sequence[int] = (1, 2),
        dilations: Sequence[int] = (1, 1, 1),
        last_kernel_size: Sequence[int] = (3, 3),
        negative_slope: float = 0.1,
        norm: str = "weight_norm",
        num_bandwidths: int | None = None,
        peak_normalize: bool = True,
    ) -> None:
        for lo, hi in bands:
            if not 0.0 <= lo < hi <= 1.0:
                raise ValueError(
                    f"discriminator.multiband.bands: each band is [lo, hi] with 0 <= lo < hi <= 1 "
                    f"(fractions of the STFT bins); got [{lo}, {hi}]"
                )
        subs = [
            BandedDiscriminator(
                w,
                hop_factor,
                channels,
                bands,
                filters,
                kernel_size,
                stride,
                dilations,
                last_kernel_size,
                negative_slope,
                norm,
                num_bandwidths,
            )
            for w in window_lengths
        ]
        super().__init__(subs, channels, num_bandwidths, peak_normalize)
