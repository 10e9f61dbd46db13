"""Multi-resolution spectrogram discriminator (Jang et al. 2021, UnivNet): 2-D convs on linear magnitude
spectrograms at several STFT resolutions."""

from __future__ import annotations

from collections.abc import Sequence

from src.discriminator.common import MultiDiscriminator, Spectrogram, SpectrogramDiscriminator

UNIVNET_RESOLUTIONS = ((1024, 120, 600), (2048, 240, 1200), (512, 50, 240))


class MultiResolutionDiscriminator(MultiDiscriminator):
    """One sub-discriminator per [n_fft, hop, win]: |STFT| laid out (B, C, bins, frames) as in UnivNet
    -> logits (B, 1, bins, frames'), 2 + len(dilations) feature maps each.

    Defaults follow UnivNet: its three resolutions, 32 filters, (3, 9) kernels over (freq, time) striding
    time by 2 three times, (3, 3) last and output convs, LeakyReLU 0.2.
    """

    def __init__(
        self,
        channels: int = 1,
        resolutions: Sequence[Sequence[int]] = UNIVNET_RESOLUTIONS,
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
                raise ValueError(f"discriminator.mrd.resolutions: each entry is [n_fft, hop, win]; got {list(r)}")
        body = {
            "filters": filters,
            "max_filters": filters,
            "filters_scale": 1,
            "kernel_size": kernel_size,
            "stride": stride,
            "dilations": dilations,
            "last_kernel_size": last_kernel_size,
            "norm": norm,
        }
        subs = [
            SpectrogramDiscriminator(
                Spectrogram(n, h, w, window, "magnitude", "same"),
                channels,
                negative_slope,
                num_bandwidths,
                freq_first=True,
                **body,
            )
            for n, h, w in resolutions
        ]
        super().__init__(subs, channels, num_bandwidths, peak_normalize)
