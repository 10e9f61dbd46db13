"""Multi-resolution spectrogram discriminator (Jang et al. 2021, UnivNet): 2-D convs on linear magnitude
spectrograms at several STFT resolutions."""

from __future__ import annotations

from collections.abc import Sequence

from torch import Tensor, nn

from src.discriminator.common import (
    ConditionedPost,
    ConvStack,
    MultiDiscriminator,
    Spectrogram,
    conv2d,
    spectral_convs,
)


class ResolutionDiscriminator(nn.Module):
    """wav (B, C, T) -> |STFT| laid out (B, C, bins, frames) as in UnivNet -> logits (B, 1, bins, frames'),
    fmaps: every conv's activation (len(dilations) + 2 maps)."""

    def __init__(
        self,
        resolution: Sequence[int],
        channels: int,
        filters: int,
        kernel_size,
        stride,
        dilations: Sequence[int],
        last_kernel_size,
        negative_slope: float,
        norm: str,
        window: str,
        num_bandwidths: int | None,
    ) -> None:
        super().__init__()
        n_fft, hop, win = (int(v) for v in resolution)
        self.spectrogram = Spectrogram(
            n_fft, hop, win, window=window, representation="magnitude", padding="same"
        )
        convs, width = spectral_convs(
            channels,
            filters,
            filters,
            1,
            kernel_size,
            stride,
            dilations,
            first_stride=1,
            last_kernel_size=last_kernel_size,
            norm=norm,
        )
        self.stack = ConvStack(convs, negative_slope)
        self.post = ConditionedPost(
            conv2d(width, 1, last_kernel_size, norm=norm), width, num_bandwidths
        )

    def forward(
        self, wav: Tensor, bandwidth_id: Tensor | None = None
    ) -> tuple[Tensor, list[Tensor]]:
        spec = self.spectrogram(wav).transpose(
            -1, -2
        )  # (B, C, bins, frames): kernels are (freq, time)
        h, fmaps = self.stack(spec)
        return self.post(h, bandwidth_id), fmaps


class MultiResolutionDiscriminator(MultiDiscriminator):
    """One ResolutionDiscriminator per (n_fft, hop, win) -> len(resolutions) logits.

    Defaults follow UnivNet: resolutions (1024,120,600) (2048,240,1200) (512,50,240), 32 filters,
    (3, 9) kernels striding time by 2 three times, LeakyReLU 0.2.
    """

    def __init__(
        self,
        channels: int = 1,
        resolutions: Sequence[Sequence[int]] = (
            (1024, 120, 600),
            (2048, 240, 1200),
            (512, 50, 240),
        ),
        filters: int = 32,
        kernel_size: Sequence[int] = (3, 9),
        stride: Sequence[int] = (1, 2),
        dilations: Sequence[int] = (1, 1, 1),
        last_kernel_size: Sequence[int] = (3, 3),
        negative_slope: float = 0.2,
        norm: str = "weight_norm",
        window: str = "hann",
        num_bandwidths: int | None = None,
        peak_normalize: bool = False,
    ) -> None:
        for r in resolutions:
            if len(r) != 3:
                raise ValueError(
                    f"discriminator.mrd.resolutions: each entry is [n_fft, hop, win]; got {list(r)}"
                )
        subs = [
            ResolutionDiscriminator(
                r,
                channels,
                filters,
                kernel_size,
                stride,
                dilations,
                last_kernel_size,
                negative_slope,
                norm,
                window,
                num_bandwidths,
            )
            for r in resolutions
        ]
        super().__init__(subs, channels, num_bandwidths, peak_normalize)
