"""The shared failure checks: a bad reference or pair is excluded with its reason, never scored; a failed
decoded signal is the codec's failure (CodecFailed, scored at the worst value by the suite)."""

import numpy as np
import pytest

from src.metrics.base import CodecFailed, Excluded, MetricUnavailable, check_pair, optional_import

SR = 16000


def test_valid_pair_is_cropped_to_the_shorter(speech):
    ref, est = check_pair(speech, speech[:, :-100], SR)
    assert ref.shape == est.shape == (1, speech.shape[1] - 100)


@pytest.mark.parametrize(
    "make_est, reason",
    [
        (lambda x: x[:, : -int(0.05 * SR)], "length mismatch beyond 20 ms"),
        (lambda x: np.concatenate([x, x]), "channel mismatch (1 vs 2)"),
    ],
)
def test_bad_decoded_is_excluded(speech, make_est, reason):
    with pytest.raises(Excluded) as info:
        check_pair(speech, make_est(speech), SR)
    assert info.value.reason == reason


def test_silent_reference_and_short_clip_are_excluded(speech):
    with pytest.raises(Excluded, match="silent reference"):
        check_pair(np.zeros_like(speech), speech, SR)
    with pytest.raises(Excluded, match="non-finite samples in reference"):
        check_pair(speech * np.nan, speech, SR)
    with pytest.raises(Excluded, match="shorter than 0.25 s"):
        check_pair(speech[:, :1000], speech[:, :1000], SR, min_seconds=0.25)


@pytest.mark.parametrize(
    "make_est, reason",
    [
        (lambda x: np.where(np.arange(x.shape[1]) == 5, np.nan, x), "non-finite samples in decoded"),
        (lambda x: np.where(np.arange(x.shape[1]) == 5, np.inf, x), "non-finite samples in decoded"),
        (np.zeros_like, "silent decoded"),
        (lambda x: x[:, :0], "empty decoded"),
    ],
)
def test_failed_decoded_is_the_codecs_failure_not_an_exclusion(speech, make_est, reason):
    with pytest.raises(CodecFailed) as info:
        check_pair(speech, make_est(speech), SR)
    assert info.value.reason == reason


def test_missing_optional_extra_names_the_pip_package():
    with pytest.raises(MetricUnavailable, match="not installed: pip install some-extra"):
        optional_import("codeclab_no_such_module", "some-extra")
