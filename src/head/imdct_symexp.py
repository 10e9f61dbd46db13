"""IMDCT head with symexp-parametrised MDCT coefficients (Vocos, Siuzdak 2023, IMDCTSymExpHead)."""

from __future__ import annotations

import torch
from torch import Tensor

from src.head.base import Head
from src.nn.spectral import IMDCT, FrameProjection, hz_to_mel, mel_to_hz


def symexp(x: Tensor) -> Tensor:
    """sign(x) (exp|x| - 1): inverse of symlog, lets a linear layer span many orders of magnitude."""
    return torch.sign(x) * torch.expm1(x.abs())


def symlog(x: Tensor) -> Tensor:
    return torch.sign(x) * torch.log1p(x.abs())


class IMDCTSymExpHead(Head):
    """Linear(in_dim, C * hop) -> symexp -> clip -> IMDCT (frame 2 * hop, sine window).

    h: (B, in_dim, F) -> wav: (B, C, F * hop_length). With `sample_rate` given, the output rows are scaled
    by 1 - f / f_max on a mel-spaced frequency grid (Vocos' perceptual init: high bins start small).
    `clip_audio` clamps the waveform to [-1, 1] (Vocos' flag; its code clamps the coefficients by mistake).
    """

    def __init__(
        self,
        in_dim: int,
        channels: int,
        hop_length: int,
        padding: str = "same",
        sample_rate: int | None = None,
        clip_audio: bool = False,
        max_coefficient: float = 1e2,
    ) -> None:
        super().__init__()
        self.imdct = IMDCT(2 * hop_length, padding)
        self.proj = FrameProjection(in_dim, channels, hop_length)
        self.in_dim, self.channels, self.hop_length = in_dim, channels, hop_length
        self.upsample = hop_length
        self.clip_audio, self.max_coefficient = clip_audio, max_coefficient
        if sample_rate is not None:
            freqs = mel_to_hz(torch.linspace(0.0, hz_to_mel(sample_rate / 2), hop_length))
            scale = (1.0 - freqs / freqs.max()).repeat(channels)
            with torch.no_grad():
                self.proj.out.weight.mul_(scale[:, None])
        self.mel_init = sample_rate is not None

    def synthesize(self, coeffs: Tensor) -> Tensor:
        """coeffs: (N, F, hop) MDCT coefficients -> (N, F * hop), after the head's clip."""
        wav = self.imdct(coeffs.float().clamp(-self.max_coefficient, self.max_coefficient))
        return wav.clamp(-1.0, 1.0) if self.clip_audio else wav

    def forward(self, h: Tensor) -> Tensor:
        return self.proj.fold_channels(self.synthesize(symexp(self.proj(h))))
