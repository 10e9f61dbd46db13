"""Entropy bitrate: uniform random codes reach the nominal rate, a constant code gives 0 bits."""

import math

import numpy as np
import pytest

from src.metrics.bitrate import CodeStats


def test_uniform_codes_reach_nominal():
    rng = np.random.default_rng(0)
    stats = CodeStats([16, 16, 16], frame_rate=75.0)
    stats.update(rng.integers(0, 16, size=(8, 3, 5000)))
    s = stats.summary()
    assert s["bitrate_nominal"] == pytest.approx(75.0 * 3 * 4)
    assert s["bitrate_entropy"] == pytest.approx(s["bitrate_nominal"], rel=2e-3)
    assert s["utilization"] == [1.0, 1.0, 1.0]
    assert s["perplexity"] == pytest.approx([16.0] * 3, rel=5e-3)


def test_constant_code_is_zero_bits():
    stats = CodeStats([1024], frame_rate=50.0)
    stats.update(np.full((2, 1, 100), 7))
    s = stats.summary()
    assert s["bitrate_entropy"] == 0.0 and s["perplexity"] == [1.0]
    assert s["utilization"] == [1 / 1024] and s["bitrate_nominal"] == 500.0


def test_padding_frames_are_not_counted():
    codes = np.zeros((2, 1, 10), dtype=np.int64)
    codes[1, 0, 4:] = 3  # padding of the shorter item
    stats = CodeStats([4], frame_rate=1.0)
    stats.update(codes, frames=[10, 4])
    assert stats.summary()["bitrate_entropy"] == 0.0 and stats.summary()["n_frames"] == 14


def test_two_equiprobable_codes_are_one_bit():
    stats = CodeStats([8], frame_rate=10.0)
    stats.update(np.array([[[0, 1] * 50]]))
    assert stats.summary()["entropy"] == [pytest.approx(1.0)]
    assert stats.summary()["bitrate_entropy"] == pytest.approx(10.0 * math.log2(2))


def test_bad_codes_rejected():
    stats = CodeStats([4], frame_rate=1.0)
    with pytest.raises(ValueError, match="outside"):
        stats.update(np.array([[[5]]]))
    with pytest.raises(ValueError, match="codebook sizes"):
        CodeStats([], 1.0)
