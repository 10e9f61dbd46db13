"""Test signals for the metric tests: a deterministic speech-like utterance and a degraded copy."""

import numpy as np
import pytest

from src.benchmarks.evaluate import degrade, speechlike

SR = 16000


@pytest.fixture(scope="session")
def speech() -> np.ndarray:
    """(1, T) 2 s speech-like signal at 16 kHz."""
    return speechlike(2.0, SR, seed=3)


@pytest.fixture(scope="session")
def noisy(speech) -> np.ndarray:
    """The same signal low-passed with white noise at 10 dB SNR: a clearly worse 'decoded' version."""
    return degrade(speech, snr_db=10.0, seed=3)
