"""Multi-scale STFT discriminator (Défossez et al. 2022, EnCodec): 2-D convs on complex STFTs at several
scales; configurable to BigCodec's magnitude variant (Xin et al. 2024)."""

from __future__ import annotations

from collections.abc import Sequence

from src.discriminator.common import MultiDiscriminator, Spectrogram, SpectrogramDiscriminator


class MultiScaleSTFTDiscriminator(MultiDiscriminator):
    """One sub-discriminator per (n_fft, hop, win): STFT (B, 2C or C, frames, bins) -> logits
    (B, 1, frames', bins'), 2 + len(dilations) feature maps each.

    Defaults are EnCodec's (5 scales 2048..128 with hop n_fft/4, complex normalised STFT without padding,
    32 filters, (3, 9) kernels over (time, freq), freq stride 2, time dilations 1, 2, 4, LeakyReLU 0.2).
    BigCodec's: representation magnitude, stft_padding center, normalized false, filters_scale 2,
    max_filters 512, kernel_size [5, 5], stride [2, 2], dilations [1, 1, 1], first_stride [2, 2].
    """

    def __init__(
        self,
        channels: int = 1,
        n_ffts: Sequence[int] = (2048, 1024, 512, 256, 128),
        hop_lengths: Sequence[int] = (512, 256, 128, 64, 32),
        win_lengths: Sequence[int] = (2048, 1024, 512, 256, 128),
        filters: int = 32,
        max_filters: int = 1024,
        filters_scale: int = 1,
        kernel_size: Sequence[int] = (3, 9),
        stride: Sequence[int] = (1, 2),
        dilations: Sequence[int] = (1, 2, 4),
        first_kernel_size: Sequence[int] | None = None,
        first_stride: Sequence[int] = (1, 1),
        last_kernel_size: Sequence[int] = (3, 3),
        representation: str = "complex",
        stft_padding: str = "none",
        normalized: bool = True,
        window: str = "hann",
        negative_slope: float = 0.2,
        norm: str = "weight_norm",
        num_bandwidths: int | None = None,
        peak_normalize: bool = False,
    ) -> None:
        if not len(n_ffts) == len(hop_lengths) == len(win_lengths):
            raise ValueError(
                "discriminator.msstft: n_ffts, hop_lengths and win_lengths must have the same "
                f"length; got {len(n_ffts)}, {len(hop_lengths)}, {len(win_lengths)}"
            )
        in_ch = 2 * channels if representation == "complex" else channels
        body = {
            "filters": filters,
            "max_filters": max_filters,
            "filters_scale": filters_scale,
            "kernel_size": kernel_size,
            "stride": stride,
            "dilations": dilations,
            "first_kernel_size": first_kernel_size,
            "first_stride": first_stride,
            "last_kernel_size": last_kernel_size,
            "norm": norm,
        }
        subs = [
            SpectrogramDiscriminator(
                Spectrogram(n, h, w, window, representation, stft_padding, normalized),
                in_ch,
                negative_slope,
                num_bandwidths,
                **body,
            )
            for n, h, w in zip(n_ffts, hop_lengths, win_lengths)
        ]
        super().__init__(subs, channels, num_bandwidths, peak_normalize)
