"""STOI (Taal et al., 2011) and extended STOI (Jensen & Taal, 2016), via `pystoi`."""

from __future__ import annotations

import warnings

import numpy as np

from src.metrics.base import Excluded, Metric, Variant, channel_mean, check_pair

# pystoi resamples internally to 10 kHz (the measure's defined rate), drops frames more than
# 40 dB below the loudest, and needs >= 30 frames of 256 samples (50% overlap) after that: ~0.4 s.
MIN_SECONDS = 0.4


class STOI(Metric):
    """(E)STOI of `est` against `ref`: a mean of correlation coefficients, about [0, 1] in practice (both can
    dip below 0: a 7.9 kHz tone scores -0.12 against speech); 1.0 when identical."""

    name = "stoi"
    higher_is_better = True
    unit = ""  # a mean correlation, about 0..1
    label = "STOI"
    rank = 2
    variants = (Variant("estoi", {"extended": True}, label="ESTOI", rank=3),)

    worst = -1.0  # the floor of a mean of correlations: a failed decode never beats a real (bad) attempt

    def __init__(self, extended: bool = False) -> None:
        self.extended = bool(extended)
        self.name = "estoi" if extended else "stoi"

    def __call__(self, ref: np.ndarray, est: np.ndarray, sample_rate: int) -> float:
        """ref, est: (C, T) at `sample_rate` -> intelligibility (channel mean)."""
        ref, est = check_pair(ref, est, sample_rate, min_seconds=MIN_SECONDS)
        return channel_mean(lambda r, e: self._score(r, e, sample_rate), ref, est)

    def _score(self, ref: np.ndarray, est: np.ndarray, sample_rate: int) -> float:
        from pystoi import stoi

        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            value = stoi(ref, est, sample_rate, extended=self.extended)
        # pystoi signals "too few frames after silence removal" only by a warning and 1e-5
        if any("Not enough STFT frames" in str(w.message) for w in caught):
            raise Excluded("too few non-silent frames for STOI (< 30 x 25.6 ms)")
        if not np.isfinite(value):
            raise Excluded("non-finite STOI")
        return float(value)
