"""PESQ: the ITU maxima on identical signals, ordering on degradation, and every exclusion case."""

import numpy as np
import pytest

from src.metrics.base import CodecFailed, Excluded
from src.metrics.pesq import PESQ

SR = 16000


@pytest.mark.parametrize("mode, maximum", [("wb", 4.644), ("nb", 4.549)])
def test_identical_signals_score_the_maximum(speech, mode, maximum):
    assert PESQ(mode)(speech, speech, SR) == pytest.approx(maximum, abs=0.01)


def test_degraded_scores_lower_and_resampling_from_other_rates(speech, noisy):
    assert PESQ("wb")(speech, noisy, SR) < 3.5
    from src.metrics.base import resample

    ref48, est48 = resample(speech, SR, 48000), resample(speech, SR, 48000)
    assert PESQ("wb")(ref48, est48, 48000) == pytest.approx(4.644, abs=0.01)


def test_exclusions(speech):
    pesq = PESQ("wb")
    with pytest.raises(Excluded, match="shorter than 0.25 s"):
        pesq(speech[:, : int(0.2 * SR)], speech[:, : int(0.2 * SR)], SR)
    with pytest.raises(Excluded, match="silent reference"):
        pesq(np.zeros_like(speech), speech, SR)
    with pytest.raises(Excluded, match="non-finite samples in reference"):
        pesq(speech * np.nan, speech, SR)
    with pytest.raises(CodecFailed, match="non-finite samples in decoded"):  # the codec's failure: worst value
        pesq(speech, speech * np.nan, SR)


def test_unknown_mode_is_an_error():
    with pytest.raises(ValueError, match="mode must be one of"):
        PESQ("sb")
