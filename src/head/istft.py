"""ISTFT head: per-frame log-magnitude and phase -> inverse STFT (Vocos, Siuzdak 2023; WavTokenizer)."""

from __future__ import annotations

import torch
from torch import Tensor

from src.head.base import Head
from src.nn.spectral import ISTFT, FrameProjection


class ISTFTHead(Head):
    """Linear(in_dim, C * (n_fft + 2)) -> log-magnitude and phase per bin -> ISTFT.

    h: (B, in_dim, F) -> wav: (B, C, F * hop_length). The magnitude is exp(log-magnitude) clipped at
    `max_magnitude` (Vocos' safeguard against overflow early in training); the phase is used as an
    angle directly (cos/sin), which is what Vocos' atan2(sin p, cos p) round trip computes.
    Length: frames are placed as in src.nn.spectral ('same' or 'center'), so F frames give exactly
    F * hop samples and frame f covers the same samples the mel encoder's frame f was analysed from.
    """

    def __init__(
        self,
        in_dim: int,
        channels: int,
        hop_length: int,
        n_fft: int | None = None,
        padding: str = "same",
        max_magnitude: float = 1e2,
    ) -> None:
        super().__init__()
        n_fft = n_fft or 4 * hop_length
        self.istft = ISTFT(n_fft, hop_length, padding)
        self.proj = FrameProjection(in_dim, channels, n_fft + 2)
        self.in_dim, self.channels, self.n_fft, self.hop_length = in_dim, channels, n_fft, hop_length
        self.upsample = hop_length
        self.max_magnitude = max_magnitude

    def synthesize(self, log_mag: Tensor, phase: Tensor) -> Tensor:
        """log_mag, phase: (N, n_fft // 2 + 1, F) -> (N, F * hop) through the head's clip and ISTFT."""
        # the FFT path runs in float32 even under bf16/fp16 autocast (complex half is not supported)
        mag = torch.exp(log_mag.float()).clamp(max=self.max_magnitude)
        return self.istft(torch.polar(mag, phase.float()))

    def forward(self, h: Tensor) -> Tensor:
        log_mag, phase = self.proj(h).transpose(1, 2).chunk(2, dim=1)  # each (B * C, n_fft/2 + 1, F)
        return self.proj.fold_channels(self.synthesize(log_mag, phase))
