"""Mel distance: 0 when identical, symmetric, and exactly 1 for a x10 gain (log10 magnitudes)."""

import numpy as np
import pytest

from src.metrics.mel import MelDistance, log_mel

SR = 16000


def test_identical_zero_symmetric(speech, noisy):
    metric = MelDistance()
    assert metric(speech, speech, SR) == 0.0
    assert metric(speech, noisy, SR) == pytest.approx(metric(noisy, speech, SR))
    assert metric(speech, noisy, SR) > 0.1


def test_gain_of_ten_is_one(speech):
    assert MelDistance()(speech, 10 * speech, SR) == pytest.approx(1.0, abs=1e-3)


def test_definition_shape(speech):
    assert log_mel(speech).shape == (1, 80, speech.shape[1] // 256 + 1)


def test_rate_independent_via_resampling(speech):
    from src.metrics.base import resample

    up = resample(speech, SR, 24000)
    assert MelDistance()(up, up * 0.5, 24000) == pytest.approx(np.log10(2), abs=1e-3)
