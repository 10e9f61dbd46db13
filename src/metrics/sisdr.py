"""Scale-invariant SDR (Le Roux et al., "SDR - half-baked or well done?", ICASSP 2019)."""

from __future__ import annotations

import numpy as np

from src.metrics.base import CodecFailed, Metric, channel_mean, check_pair, is_silent_decoded

EPS = 1e-8  # keeps identical signals finite (about +80 dB above the signal power floor)
# Scores are clamped at -50 dB: below it the estimate holds under 1e-5 of its energy as the scaled reference,
# i.e. nothing of it, and the unclamped value only measures the estimate's length and level (white noise:
# about -10 log10(T) dB). The clamp makes the floor a true worst value for failed decodes.
FLOOR_DB = -50.0


def si_sdr(ref: np.ndarray, est: np.ndarray) -> float:
    """ref, est: (T,) -> 10 log10(|a s|^2 / |a s - e|^2) in dB, zero-mean, a = <e, s> / |s|^2."""
    ref, est = ref - ref.mean(), est - est.mean()
    alpha = np.dot(est, ref) / (np.dot(ref, ref) + EPS)
    target = alpha * ref
    noise = est - target
    return float(10 * np.log10((np.dot(target, target) + EPS) / (np.dot(noise, noise) + EPS)))


class SISDR(Metric):
    """SI-SDR of `est` against `ref` in dB at the native rate (channel mean); higher is better."""

    name = "si_sdr"
    higher_is_better = True
    unit = "dB"
    label = "SI-SDR"
    rank = 7
    worst = FLOOR_DB

    def __call__(self, ref: np.ndarray, est: np.ndarray, sample_rate: int) -> float:
        ref, est = check_pair(ref, est, sample_rate)
        # SI-SDR removes the mean: a constant (DC-only) output is silence to it and used to score 0 dB
        if is_silent_decoded(ref - ref.mean(-1, keepdims=True), est - est.mean(-1, keepdims=True)):
            raise CodecFailed("silent decoded (constant)")
        return max(channel_mean(si_sdr, ref, est), FLOOR_DB)
