"""Mel-cepstral distortion with DTW (Kubichek, 1993), on SPTK-style all-pass-warped mel-cepstra.

Definition. For each signal at its native rate: STFT power spectrum P (Hann window of n_fft =
the power of two >= 25 ms, hop 5 ms, centred); one-sided real cepstrum of log|X| (inverse rFFT
of log(P + 1e-10), the c(0) and c(N/2) terms halved, i.e. SPTK's convention); warped to a
mel-cepstrum of `order` (default 24) with the first-order all-pass constant `alpha` of the sample
rate (SPTK's table: 0.42 at 16 kHz, 0.45 at 22.05 kHz, 0.55 at 48 kHz, ...) by SPTK's `freqt`
recursion. c(0) (energy) is dropped. The two sequences are aligned by DTW (Euclidean frame cost,
steps (1,1), (1,0), (0,1)) and

    MCD = mean over the path of (10 / ln 10) * sqrt(2 * sum_{d=1..order} (c_d - c'_d)^2)   [dB].
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

from src.metrics.base import Excluded, Metric, check_pair

# SPTK's all-pass constants that best approximate the mel scale (SPTK `mcep -a`, pysptk.util.mcepalpha)
ALPHAS = {
    8000: 0.31,
    10000: 0.35,
    12000: 0.37,
    16000: 0.42,
    22050: 0.45,
    24000: 0.46,
    32000: 0.50,
    44100: 0.53,
    48000: 0.55,
}
POWER_FLOOR = 1e-10  # keeps log finite in digital silence (-100 dB re. full-scale power)
DB = 10.0 / math.log(10.0) * math.sqrt(2.0)
# Scores are clamped at 50 dB, the worst value given to a failed decode. Real outputs stay far below it (good
# codecs 2-8 dB; white noise, clicks or a square wave against speech about 15-16 dB, a 7.9 kHz tone about 30
# dB); beyond it the spectra have nothing in common and the exact figure means nothing.
CEILING_DB = 50.0


def freqt_matrix(in_len: int, order: int, alpha: float) -> np.ndarray:
    """The (in_len, order + 1) matrix A with mcep = cep @ A: SPTK's freqt recursion is linear."""
    beta = 1.0 - alpha * alpha
    basis = np.eye(in_len)  # run the recursion on every unit cepstrum at once
    out = np.zeros((in_len, order + 1))
    for i in range(in_len - 1, -1, -1):
        prev = out.copy()
        out[:, 0] = basis[:, i] + alpha * prev[:, 0]
        if order >= 1:
            out[:, 1] = beta * prev[:, 0] + alpha * prev[:, 1]
        for j in range(2, order + 1):
            out[:, j] = prev[:, j - 1] + alpha * (prev[:, j] - out[:, j - 1])
    return out


@lru_cache(maxsize=16)
def _warp(in_len: int, order: int, alpha: float) -> np.ndarray:
    return freqt_matrix(in_len, order, alpha)


def frame_params(sample_rate: int) -> tuple[int, int]:
    """-> (n_fft, hop): n_fft the power of two >= 25 ms, hop 5 ms (WORLD's default frame period)."""
    return 1 << math.ceil(math.log2(0.025 * sample_rate)), max(1, round(0.005 * sample_rate))


def mel_cepstrum(x: np.ndarray, sample_rate: int, order: int = 24, alpha: float | None = None) -> np.ndarray:
    """x: (T,) -> mel-cepstra (frames, order + 1), c(0) included."""
    import librosa

    alpha = default_alpha(sample_rate) if alpha is None else alpha
    n_fft, hop = frame_params(sample_rate)
    # a fixed float64 numpy definition, kept apart from the model's src.nn.spectral (docs/spectral.md)
    power = np.abs(librosa.stft(x, n_fft=n_fft, hop_length=hop, window="hann", center=True)) ** 2
    cep = np.fft.irfft(np.log(power.T + POWER_FLOOR), n=n_fft, axis=-1)[:, : n_fft // 2 + 1]
    cep[:, 0] /= 2.0  # one-sided cepstrum of log|X|, SPTK's convention
    cep[:, -1] /= 2.0
    return cep @ _warp(cep.shape[1], order, float(alpha))


def default_alpha(sample_rate: int) -> float:
    if sample_rate not in ALPHAS:
        raise ValueError(
            f"no standard all-pass constant for {sample_rate} Hz (known: {sorted(ALPHAS)}): "
            "set metrics.options.mcd.alpha"
        )
    return ALPHAS[sample_rate]


def mcd_dtw(mc_ref: np.ndarray, mc_est: np.ndarray) -> float:
    """mc_ref: (N, D), mc_est: (M, D), c(0) already dropped -> DTW-aligned MCD in dB."""
    import librosa

    _, path = librosa.sequence.dtw(X=mc_ref.T, Y=mc_est.T, metric="euclidean", backtrack=True)
    diff = mc_ref[path[:, 0]] - mc_est[path[:, 1]]
    return float(np.mean(DB * np.sqrt(np.sum(diff**2, axis=1))))


class MCD(Metric):
    """DTW mel-cepstral distortion in dB (0 when identical; lower is better), channel mean."""

    name = "mcd"
    higher_is_better = False
    unit = "dB"
    label = "MCD"
    rank = 4
    worst = CEILING_DB

    def __init__(self, order: int = 24, alpha: float | None = None) -> None:
        self.order, self.alpha = int(order), alpha

    def __call__(self, ref: np.ndarray, est: np.ndarray, sample_rate: int) -> float:
        ref, est = check_pair(ref, est, sample_rate)
        if ref.shape[-1] < frame_params(sample_rate)[0]:
            raise Excluded("shorter than one MCD analysis frame")
        scores = []
        for r, e in zip(ref, est):
            mc_r = mel_cepstrum(r, sample_rate, self.order, self.alpha)[:, 1:]
            mc_e = mel_cepstrum(e, sample_rate, self.order, self.alpha)[:, 1:]
            scores.append(mcd_dtw(mc_r, mc_e))
        return min(float(np.mean(scores)), CEILING_DB)
