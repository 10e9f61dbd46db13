"""MCD: 0 on identical signals, the mel-cepstrum and the full MCD checked against pysptk + fastdtw."""

import math

import numpy as np
import pytest

from src.metrics.base import Excluded
from src.metrics.mcd import ALPHAS, MCD, default_alpha, frame_params, mcd_dtw, mel_cepstrum

SR = 16000


def test_identical_is_zero_and_degradation_is_positive(speech, noisy):
    assert MCD()(speech, speech, SR) == 0.0
    assert MCD()(speech, noisy, SR) > 1.0


def test_dtw_absorbs_a_time_shift(speech):
    shifted = np.roll(speech, 80)  # 5 ms = one hop
    assert MCD()(speech, shifted, SR) < 1.0


def test_alpha_table_and_unknown_rate():
    assert default_alpha(16000) == 0.42 and ALPHAS[48000] == 0.55
    with pytest.raises(ValueError, match="metrics.options.mcd.alpha"):
        default_alpha(12345)


def test_too_short_is_excluded(speech):
    with pytest.raises(Excluded, match="analysis frame"):
        MCD()(speech[:, :300], speech[:, :300], SR)


def _pysptk_mcep(x, order, alpha):
    """Independent mel-cepstra: SPTK's mcep (periodogram input, no iterations) per frame."""
    import librosa

    pysptk = pytest.importorskip("pysptk")
    n_fft, hop = frame_params(SR)
    power = np.abs(librosa.stft(x, n_fft=n_fft, hop_length=hop, window="hann", center=True)) ** 2
    return np.stack(
        [
            pysptk.sptk.mcep(p + 1e-10, order=order, alpha=alpha, maxiter=0, itype=4, etype=0, eps=0.0, min_det=0.0)
            for p in power.T
        ]
    )


def test_mel_cepstrum_matches_sptk(speech):
    ours = mel_cepstrum(speech[0, :8000], SR, order=24, alpha=0.42)
    assert np.allclose(ours, _pysptk_mcep(speech[0, :8000], 24, 0.42), atol=1e-8)


def test_mcd_matches_an_independent_pipeline(speech, noisy):
    """pysptk mel-cepstra + fastdtw (radius covering the whole matrix, i.e. exact DTW) + Kubichek's formula."""
    fastdtw = pytest.importorskip("fastdtw")
    ref, est = speech[0, :12000], noisy[0, :11000]
    a, b = _pysptk_mcep(ref, 24, 0.42)[:, 1:], _pysptk_mcep(est, 24, 0.42)[:, 1:]
    _, path = fastdtw.fastdtw(a, b, radius=max(len(a), len(b)), dist=lambda u, v: np.linalg.norm(u - v))
    path = np.array(path)
    expected = np.mean(10 / math.log(10) * np.sqrt(2 * np.sum((a[path[:, 0]] - b[path[:, 1]]) ** 2, axis=1)))
    assert mcd_dtw(a, b) == pytest.approx(expected, rel=1e-6)
    assert MCD()(ref[None], noisy[:, :11700], SR) > 0  # within the 20 ms length tolerance
