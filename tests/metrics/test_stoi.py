"""STOI / ESTOI: 1.0 on identical signals, lower with noise, short clips excluded (not pystoi's 1e-5)."""

import numpy as np
import pytest

from src.metrics.base import Excluded
from src.metrics.stoi import STOI

SR = 16000


@pytest.mark.parametrize("extended", [False, True])
def test_identical_is_one_and_noise_lowers_it(speech, noisy, extended):
    metric = STOI(extended)
    assert metric(speech, speech, SR) == pytest.approx(1.0, abs=1e-6)
    assert metric(speech, noisy, SR) < 0.95


def test_names():
    assert STOI().name == "stoi" and STOI(extended=True).name == "estoi"


def test_too_short_is_excluded_not_scored_as_tiny(speech):
    with pytest.raises(Excluded, match="shorter than 0.4 s"):
        STOI()(speech[:, :3000], speech[:, :3000], SR)
    # long enough overall, but mostly silence: pystoi's own frame check fires
    mostly_silent = np.concatenate([speech[:, :2000], np.zeros((1, 8000)) + 1e-9], axis=1)
    with pytest.raises(Excluded, match="too few non-silent frames"):
        STOI()(mostly_silent, mostly_silent, SR)
