"""Spectral reconstruction losses: DAC's multi-scale mel loss (Kumar et al. 2023, 'Improved RVQGAN')."""
from __future__ import annotations

import librosa
import torch
import torch.nn.functional as F
from torch import Tensor, nn


class MelScale(nn.Module):
    """Magnitude mel spectrogram at one resolution. wav: (B, C, T) -> (B*C, n_mels, frames)."""

    def __init__(self, sample_rate: int, window_length: int, n_mels: int, hop_length: int | None = None,
                 f_min: float = 0.0, f_max: float | None = None, power: float = 1.0) -> None:
        super().__init__()
        self.window_length, self.power = window_length, power
        self.hop_length = hop_length or window_length // 4
        fb = librosa.filters.mel(sr=sample_rate, n_fft=window_length, n_mels=n_mels, fmin=f_min, fmax=f_max)
        self.register_buffer("filterbank", torch.from_numpy(fb).float(), persistent=False)
        self.register_buffer("window", torch.hann_window(window_length), persistent=False)

    def forward(self, wav: Tensor) -> Tensor:
        x = wav.reshape(-1, wav.shape[-1]).float()
        spec = torch.stft(x, self.window_length, self.hop_length, window=self.window,
                          center=True, return_complex=True)
        return (self.filterbank @ spec.abs().pow(self.power))


class MultiScaleMelLoss(nn.Module):
    """Sum over resolutions of L1(log10 mel(x_hat), log10 mel(x)) (+ optional linear-mel L1).

    Defaults follow DAC: 7 window lengths 32..2048 with 5..320 mel bands, hop = window/4,
    magnitudes clamped at 1e-5 before log10, log weight 1, linear weight 0. Zero on identical inputs.
    """

    def __init__(self, sample_rate: int, window_lengths: tuple[int, ...] = (32, 64, 128, 256, 512, 1024, 2048),
                 n_mels: tuple[int, ...] = (5, 10, 20, 40, 80, 160, 320), clamp_eps: float = 1e-5,
                 log_weight: float = 1.0, mag_weight: float = 0.0, power: float = 1.0) -> None:
        super().__init__()
        if len(window_lengths) != len(n_mels):
            raise ValueError(f"window_lengths ({len(window_lengths)}) and n_mels ({len(n_mels)}) must pair up")
        self.scales = nn.ModuleList(
            MelScale(sample_rate, w, m, power=power) for w, m in zip(window_lengths, n_mels)
        )
        self.clamp_eps, self.log_weight, self.mag_weight = clamp_eps, log_weight, mag_weight

    def forward(self, wav_hat: Tensor, wav: Tensor) -> Tensor:
        """wav_hat, wav: (B, C, T) -> scalar."""
        total = wav_hat.new_zeros((), dtype=torch.float32)
        for scale in self.scales:
            m_hat, m = scale(wav_hat), scale(wav)
            if self.log_weight:
                log_hat = m_hat.clamp_min(self.clamp_eps).log10()
                total = total + self.log_weight * F.l1_loss(log_hat, m.clamp_min(self.clamp_eps).log10())
            if self.mag_weight:
                total = total + self.mag_weight * F.l1_loss(m_hat, m)
        return total
