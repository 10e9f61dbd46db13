"""Mel distance: L1 distance of log10 mel magnitudes, as the mel reconstruction metric in DAC/HiFi-GAN.

Definition (fixed, so that the number is identical wherever it is used): both signals resampled to
16 kHz (soxr VHQ); STFT with n_fft=1024, hop=256, Hann window of 1024, centred (reflect padding);
magnitude (power 1); 80 Slaney-normalised mel bands (librosa, htk=False) from 0 to 8000 Hz;
log10 of max(mel, 1e-5); mean absolute difference over bands, frames and channels.
"""

from __future__ import annotations

from functools import cache

import numpy as np

from src.metrics.base import Metric, check_pair, resample

RATE = 16000
N_FFT, HOP, N_MELS, FMIN, FMAX = 1024, 256, 80, 0.0, 8000.0
FLOOR = 1e-5  # -100 dB magnitude floor, as in HiFi-GAN's dynamic range compression
# Scores are clamped at 10, the worst value given to a failed decode: for audio in [-1, 1] log10 mel spans
# [-5, about +1.5], so no real output reaches it (white noise against speech: about 2.5).
CEILING = 10.0


@cache
def _mel_basis() -> np.ndarray:
    import librosa

    return librosa.filters.mel(sr=RATE, n_fft=N_FFT, n_mels=N_MELS, fmin=FMIN, fmax=FMAX)


def log_mel(x: np.ndarray) -> np.ndarray:
    """x: (C, T) at 16 kHz -> log10 mel magnitudes (C, 80, frames)."""
    # Not src.nn.spectral: a metric is a fixed float64 numpy definition on (C, T) arrays, kept apart from
    # the model code so that its number never moves with it (same framing/filterbank as the front end's
    # 'center_full' + slaney options, docs/spectral.md).
    import librosa

    spec = np.abs(librosa.stft(x, n_fft=N_FFT, hop_length=HOP, window="hann", center=True, pad_mode="reflect"))
    return np.log10(np.maximum(_mel_basis() @ spec, FLOOR))


class MelDistance(Metric):
    """Mean |log10 mel(ref) - log10 mel(est)|; 0 for identical signals, lower is better."""

    name = "mel_distance"
    higher_is_better = False
    unit = ""  # mean |log10 mel difference|
    label = "mel distance"
    rank = 6
    worst = CEILING

    def __call__(self, ref: np.ndarray, est: np.ndarray, sample_rate: int) -> float:
        """ref, est: (C, T) at `sample_rate` -> mel distance (float)."""
        ref, est = check_pair(ref, est, sample_rate)
        ref, est = resample(ref, sample_rate, RATE), resample(est, sample_rate, RATE)
        return min(float(np.mean(np.abs(log_mel(ref) - log_mel(est)))), CEILING)
