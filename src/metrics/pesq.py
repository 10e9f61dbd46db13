"""PESQ, ITU-T P.862 (narrow-band) and P.862.2 (wide-band), via the `pesq` package (ludlows/python-pesq)."""

from __future__ import annotations

import numpy as np

from src.metrics.base import Excluded, Metric, Variant, channel_mean, check_pair, resample

RATES = {"wb": 16000, "nb": 8000}  # P.862.2 is defined at 16 kHz, P.862 (narrow-band) at 8 kHz
MIN_SECONDS = 0.25  # the ITU reference code rejects shorter buffers


class PESQ(Metric):
    """PESQ MOS-LQO of `est` against `ref`; both resampled (soxr VHQ) to the mode's defined rate.

    Identical signals score 4.644 (wb) / 4.549 (nb), the maxima of the P.862 mappings.
    """

    name = "pesq_wb"  # mode="wb"; pesq_nb is the narrow-band variant below
    higher_is_better = True
    unit = "MOS"  # MOS-LQO, 1..4.64
    label = "PESQ (wide-band)"
    rank = 0  # column order in report tables: PESQ, STOI, MCD, speaker similarity, as codec papers
    variants = (Variant("pesq_nb", {"mode": "nb"}, label="PESQ (narrow-band)", rank=1),)

    # A failed decode scores 1.0, the bottom of the MOS scale: the P.862.1/.2 mappings approach 0.999 only as
    # the raw score goes to -inf, and noise against speech scores about 1.03 (wb) / 1.2 (nb). The raw P.862
    # floor of -0.5 is not on the MOS-LQO scale this metric reports. Codec-SUPERB also uses 1.0; VERSA 0.0.
    worst = 1.0

    def __init__(self, mode: str = "wb") -> None:
        if mode not in RATES:
            raise ValueError(f"PESQ mode must be one of {sorted(RATES)}; got {mode!r}")
        self.mode = mode
        self.name = f"pesq_{mode}"
        self.rate = RATES[mode]

    def __call__(self, ref: np.ndarray, est: np.ndarray, sample_rate: int) -> float:
        """ref, est: (C, T) at `sample_rate` -> MOS-LQO (channel mean)."""
        ref, est = check_pair(ref, est, sample_rate, min_seconds=MIN_SECONDS)
        ref, est = resample(ref, sample_rate, self.rate), resample(est, sample_rate, self.rate)
        return channel_mean(self._score, ref, est)

    def _score(self, ref: np.ndarray, est: np.ndarray) -> float:
        import pesq

        try:
            return float(pesq.pesq(self.rate, ref.astype(np.float32), est.astype(np.float32), self.mode))
        except pesq.NoUtterancesError:
            raise Excluded("no utterance detected by PESQ") from None
        except pesq.BufferTooShortError:
            raise Excluded(f"shorter than {MIN_SECONDS:g} s") from None
        except pesq.PesqError as err:  # the C library's remaining errors, e.g. out of memory
            raise Excluded(f"pesq error: {type(err).__name__}") from None
