"""IMDCT head with MDCT = exp(m) cos(p) parametrisation (Vocos, Siuzdak 2023, IMDCTCosHead)."""

from __future__ import annotations

import torch
from torch import Tensor

from src.head.base import Head
from src.nn.spectral import IMDCT, FrameProjection


class IMDCTCosHead(Head):
    """Linear(in_dim, C * 2 * hop) -> (m, p) -> exp(m) (clipped) * cos(p) -> IMDCT (frame 2 * hop).

    h: (B, in_dim, F) -> wav: (B, C, F * hop_length). The log-magnitude m carries the dynamic range and
    cos(p) the sign, the MDCT analogue of the ISTFT head's magnitude/phase split.
    """

    def __init__(
        self,
        in_dim: int,
        channels: int,
        hop_length: int,
        padding: str = "same",
        clip_audio: bool = False,
        max_magnitude: float = 1e2,
    ) -> None:
        super().__init__()
        self.imdct = IMDCT(2 * hop_length, padding)
        self.proj = FrameProjection(in_dim, channels, 2 * hop_length)
        self.in_dim, self.channels, self.hop_length = in_dim, channels, hop_length
        self.upsample = hop_length
        self.clip_audio, self.max_magnitude = clip_audio, max_magnitude

    def synthesize(self, log_mag: Tensor, phase: Tensor) -> Tensor:
        """log_mag, phase: (N, F, hop) -> (N, F * hop) via exp(log_mag).clip * cos(phase) and the IMDCT."""
        coeffs = torch.exp(log_mag.float()).clamp(max=self.max_magnitude) * torch.cos(phase.float())
        wav = self.imdct(coeffs)
        return wav.clamp(-1.0, 1.0) if self.clip_audio else wav

    def forward(self, h: Tensor) -> Tensor:
        log_mag, phase = self.proj(h).chunk(2, dim=-1)
        return self.proj.fold_channels(self.synthesize(log_mag, phase))
