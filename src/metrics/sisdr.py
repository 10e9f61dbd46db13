"""Scale-invariant SDR (Le Roux et al., "SDR - half-baked or well done?", ICASSP 2019)."""
from __future__ import annotations

import numpy as np

from src.metrics.base import channel_mean, check_pair

EPS = 1e-8  # keeps identical signals finite (about +80 dB above the signal power floor)


def si_sdr(ref: np.ndarray, est: np.ndarray) -> float:
    """ref, est: (T,) -> 10 log10(|a s|^2 / |a s - e|^2) in dB, zero-mean, a = <e, s> / |s|^2."""
    ref, est = ref - ref.mean(), est - est.mean()
    alpha = np.dot(est, ref) / (np.dot(ref, ref) + EPS)
    target = alpha * ref
    noise = est - target
    return float(10 * np.log10((np.dot(target, target) + EPS) / (np.dot(noise, noise) + EPS)))


class SISDR:
    """SI-SDR of `est` against `ref` in dB at the native rate (channel mean); higher is better."""

    name = "si_sdr"

    def __call__(self, ref: np.ndarray, est: np.ndarray, sample_rate: int) -> float:
        ref, est = check_pair(ref, est, sample_rate)
        return channel_mean(si_sdr, ref, est)
