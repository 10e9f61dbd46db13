"""SI-SDR: scale invariance and a known value from an orthogonal error."""

import numpy as np
import pytest

from src.metrics.base import Excluded
from src.metrics.sisdr import SISDR, si_sdr

SR = 16000


def test_known_value_with_orthogonal_noise():
    rng = np.random.default_rng(0)
    s = rng.standard_normal(16000)
    s -= s.mean()
    n = rng.standard_normal(16000)
    n -= n.mean()
    n -= n @ s / (s @ s) * s  # orthogonal to s
    n *= np.sqrt((s @ s) / (n @ n) / 10)  # 10 dB below s
    assert si_sdr(s, s + n) == pytest.approx(10.0, abs=1e-6)
    assert si_sdr(s, 0.3 * (s + n)) == pytest.approx(10.0, abs=1e-6)  # scale-invariant


def test_identical_is_finite_and_large(speech):
    value = SISDR()(speech, speech, SR)
    assert np.isfinite(value) and value > 60


def test_silent_reference_excluded(speech):
    with pytest.raises(Excluded, match="silent reference"):
        SISDR()(np.zeros_like(speech), speech, SR)
