"""Spectral and waveform reconstruction losses: DAC multi-scale mel (Kumar et al. 2023), EnCodec multi-scale
mel (Défossez et al. 2022), auraloss multi-resolution STFT (Steinmetz & Reiss 2020) and time-domain L1."""

from __future__ import annotations

import math
import warnings

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from src.nn.spectral import MelSpectrogram, stft


def mel_scale(sample_rate: int, window_length: int, n_mels: int, **options) -> MelSpectrogram:
    """One resolution of the mel losses: hop window / 4, torch.stft(center=True) frames.
    wav (B, C, T) -> the module applied to wav.reshape(B * C, T): (B * C, n_mels, T // hop + 1)."""
    return MelSpectrogram(
        sample_rate, window_length, n_mels, window_length // 4, padding="center_full", pad_mode="reflect", **options
    )


def _flat(wav: Tensor) -> Tensor:
    return wav.reshape(-1, wav.shape[-1]).float()


class MultiScaleMelLoss(nn.Module):
    """Sum over resolutions of L1(log10 mel(x_hat), log10 mel(x)) (+ optional linear-mel L1).

    Defaults follow DAC: 7 window lengths 32..2048 with 5..320 mel bands, hop = window/4,
    magnitudes clamped at 1e-5 before log10, log weight 1, linear weight 0. Zero on identical inputs.
    """

    def __init__(
        self,
        sample_rate: int,
        window_lengths: tuple[int, ...] = (32, 64, 128, 256, 512, 1024, 2048),
        n_mels: tuple[int, ...] = (5, 10, 20, 40, 80, 160, 320),
        clamp_eps: float = 1e-5,
        log_weight: float = 1.0,
        mag_weight: float = 0.0,
        power: float = 1.0,
    ) -> None:
        super().__init__()
        if len(window_lengths) != len(n_mels):
            raise ValueError(f"window_lengths ({len(window_lengths)}) and n_mels ({len(n_mels)}) must pair up")
        self.scales = nn.ModuleList(mel_scale(sample_rate, w, m, power=power) for w, m in zip(window_lengths, n_mels))
        self.clamp_eps, self.log_weight, self.mag_weight = clamp_eps, log_weight, mag_weight

    def forward(self, wav_hat: Tensor, wav: Tensor) -> Tensor:
        """wav_hat, wav: (B, C, T) -> scalar."""
        total = wav_hat.new_zeros((), dtype=torch.float32)
        for scale in self.scales:
            with torch.autocast(wav.device.type, enabled=False):  # a bf16 filterbank matmul would round the loss
                m_hat, m = scale(_flat(wav_hat)), scale(_flat(wav))
            if self.log_weight:
                log_hat = m_hat.clamp_min(self.clamp_eps).log10()
                total = total + self.log_weight * F.l1_loss(log_hat, m.clamp_min(self.clamp_eps).log10())
            if self.mag_weight:
                total = total + self.mag_weight * F.l1_loss(m_hat, m)
        return total


class EncodecMelLoss(nn.Module):
    """EnCodec's multi-scale spectral loss (Défossez et al. 2022, eq. 1; audiocraft's `msspec`).

    For window 2**i, i in [range_start, range_end): L1 between power mel spectrograms (n_mels bands,
    hop window/4, HTK mel scale as torchaudio) + alpha_i * MSE between log10(floor_level + mel).
    alpha_i = sqrt(2**i - 1) when `alphas`, else 1. `normalized` divides the STFT by the window's L2 norm
    and the total by sum(alpha_i + 1). wav_hat, wav: (B, C, T) -> scalar; zero on identical inputs.
    """

    def __init__(
        self,
        sample_rate: int,
        range_start: int = 5,
        range_end: int = 12,
        n_mels: int = 64,
        f_min: float = 0.0,
        f_max: float | None = None,
        normalized: bool = True,
        alphas: bool = False,
        floor_level: float = 1e-5,
    ) -> None:
        super().__init__()
        if not 0 < range_start < range_end:
            raise ValueError(
                f"range_start={range_start}, range_end={range_end}: need 0 < start < end "
                "(windows 2**start .. 2**(end - 1))"
            )
        self.scales = nn.ModuleList()
        self.alphas: list[float] = []
        for i in range(range_start, range_end):
            with warnings.catch_warnings():  # 64 bands on a 32-sample window leave some empty, as in EnCodec
                warnings.simplefilter("ignore", UserWarning)
                # torchaudio's MelScale defaults; normalized: |STFT|^2 / sum(window^2) at power 2
                self.scales.append(
                    mel_scale(
                        sample_rate,
                        2**i,
                        n_mels,
                        f_min=f_min,
                        f_max=f_max,
                        power=2.0,
                        mel_scale="htk",
                        norm=None,
                        normalized=normalized,
                    )
                )
            self.alphas.append(math.sqrt(2**i - 1) if alphas else 1.0)
        self.normalized, self.floor_level = normalized, floor_level

    def forward(self, wav_hat: Tensor, wav: Tensor) -> Tensor:
        """wav_hat, wav: (B, C, T) -> scalar."""
        total = wav_hat.new_zeros((), dtype=torch.float32)
        for scale, alpha in zip(self.scales, self.alphas):
            m_hat, m = scale(_flat(wav_hat)), scale(_flat(wav))
            log_hat, log = (self.floor_level + m_hat).log10(), (self.floor_level + m).log10()
            total = total + F.l1_loss(m_hat, m) + alpha * F.mse_loss(log_hat, log)
        if self.normalized:
            total = total / sum(a + 1 for a in self.alphas)
        return total


class MultiResolutionSTFTLoss(nn.Module):
    """auraloss multi-resolution STFT loss (Yamamoto et al. 2020; Steinmetz & Reiss 2020), as stable-audio-tools.

    Mono: spectral convergence + log-magnitude L1, averaged over resolutions, optionally on A-weighted
    (perceptual_weighting) signals. Stereo: the same on the sum and difference signals
    (SumAndDifferenceSTFTLoss), which penalises errors in the stereo image. Picked by `channels`.
    wav_hat, wav: (B, channels, T) -> scalar; zero on identical inputs.
    """

    def __init__(
        self,
        channels: int,
        sample_rate: int,
        fft_sizes: tuple[int, ...] = (2048, 1024, 512, 256, 128, 64, 32),
        hop_sizes: tuple[int, ...] = (512, 256, 128, 64, 32, 16, 8),
        win_lengths: tuple[int, ...] = (2048, 1024, 512, 256, 128, 64, 32),
        perceptual_weighting: bool = True,
        w_sc: float = 1.0,
        w_log_mag: float = 1.0,
        w_lin_mag: float = 0.0,
        scale: str | None = None,
        n_bins: int | None = None,
    ) -> None:
        super().__init__()
        import auraloss

        if not len(fft_sizes) == len(hop_sizes) == len(win_lengths):
            raise ValueError(
                "fft_sizes, hop_sizes and win_lengths must have the same length; got "
                f"{len(fft_sizes)}, {len(hop_sizes)}, {len(win_lengths)}"
            )
        kwargs = {
            "perceptual_weighting": perceptual_weighting,
            "sample_rate": sample_rate,
            "w_sc": w_sc,
            "w_log_mag": w_log_mag,
            "w_lin_mag": w_lin_mag,
            "scale": scale,
            "n_bins": n_bins,
        }
        sizes = (list(fft_sizes), list(hop_sizes), list(win_lengths))
        if channels == 1:
            self.loss = auraloss.freq.MultiResolutionSTFTLoss(*sizes, **kwargs)
        elif channels == 2:
            self.loss = auraloss.freq.SumAndDifferenceSTFTLoss(*sizes, **kwargs)
        else:
            raise ValueError(f"MultiResolutionSTFTLoss supports channels 1 (mono) or 2 (stereo); got {channels}")
        self.channels = channels

    def forward(self, wav_hat: Tensor, wav: Tensor) -> Tensor:
        """wav_hat, wav: (B, C, T) -> scalar."""
        if wav_hat.shape != wav.shape or wav.dim() != 3 or wav.shape[1] != self.channels:
            raise ValueError(
                f"MultiResolutionSTFTLoss built for channels={self.channels} expects two "
                f"(B, {self.channels}, T) tensors; got {tuple(wav_hat.shape)}, {tuple(wav.shape)}"
            )
        with torch.autocast(wav.device.type, enabled=False):  # auraloss's STFTs and logs in fp32
            return self.loss(wav_hat.float(), wav.float())


class WaveformL1Loss(nn.Module):
    """Time-domain L1 (EnCodec's l_t; logged but weighted 0 in DAC). wav_hat, wav: (B, C, T) -> scalar."""

    def forward(self, wav_hat: Tensor, wav: Tensor) -> Tensor:
        return F.l1_loss(wav_hat, wav)


class ComplexSTFTLoss(nn.Module):
    """Multi-resolution L1 between power-law compressed complex spectra |X|^c e^{i phi} (c = 0.3).

    The phase-aware term of spectral codecs and enhancers (MP-SENet, Lu et al. 2023; APCodec, Ai et al. 2024):
    magnitudes alone leave the phase free, which an ISTFT head then fills with incoherent phase ("phasiness").
    Compression keeps quiet bins in play. wav_hat, wav: (B, C, T) -> scalar; zero on identical inputs.
    """

    def __init__(
        self, fft_sizes: tuple[int, ...] = (1280, 640, 320), compression: float = 0.3, eps: float = 1e-8
    ) -> None:
        super().__init__()
        if not fft_sizes or any(n < 4 for n in fft_sizes):
            raise ValueError(f"fft_sizes={list(fft_sizes)}: give at least one FFT size >= 4")
        self.fft_sizes, self.compression, self.eps = tuple(fft_sizes), compression, eps
        for n in self.fft_sizes:
            self.register_buffer(f"window_{n}", torch.hann_window(n), persistent=False)

    def compressed(self, wav: Tensor, n_fft: int) -> Tensor:
        """wav: (B, C, T) -> (B*C, n_fft/2 + 1, frames, 2), real and imaginary parts of |X|^c e^{i phi}."""
        spec = stft(_flat(wav), n_fft, n_fft // 4, getattr(self, f"window_{n_fft}"), "center_full", "reflect")
        mag = spec.abs().clamp_min(self.eps)
        return torch.view_as_real(spec * mag.pow(self.compression - 1.0))

    def forward(self, wav_hat: Tensor, wav: Tensor) -> Tensor:
        total = wav_hat.new_zeros((), dtype=torch.float32)
        for n in self.fft_sizes:
            total = total + F.l1_loss(self.compressed(wav_hat, n), self.compressed(wav, n))
        return total / len(self.fft_sizes)
