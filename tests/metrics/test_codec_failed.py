"""A decoded signal that failed (silent, constant, non-finite, empty) against a valid reference scores the
metric's declared worst value and is counted as codec_failed; a reference that cannot be scored is still
excluded. Each worst value is no better than what real (bad) decoded audio scores."""

import numpy as np
import pytest

from src.metrics.base import CodecFailed, Excluded, check_pair
from src.metrics.suite import HIGHER_IS_BETTER, METRICS, aggregate_rows, build_metrics, score_item

SR = 16000
FAST = ["pesq_wb", "pesq_nb", "stoi", "estoi", "si_sdr", "mel_distance", "mcd"]


def failed_outputs(speech):
    nan = speech.copy()
    nan[0, 100] = np.nan
    return {
        "silent": np.zeros_like(speech),
        "constant": np.full_like(speech, 0.5),
        "nan": nan,
        "empty": speech[:, :0],
        "near silent": 1e-6 * speech,
    }


def bad_attempts(speech):
    """Real, terrible decoded signals: white noise, a 7.9 kHz tone, clicks."""
    t = np.arange(speech.shape[1]) / SR
    rng = np.random.default_rng(0)
    return [
        rng.uniform(-1, 1, speech.shape),
        np.sin(2 * np.pi * 7900 * t)[None],
        np.where(np.arange(speech.shape[1]) % 400 == 0, 1.0, 0.0)[None],
    ]


def test_check_pair_blames_the_reference_first(speech):
    for reason, est in [
        ("empty decoded", speech[:, :0]),
        ("silent decoded", np.zeros_like(speech)),
        ("non-finite samples in decoded", speech * np.nan),
    ]:
        with pytest.raises(CodecFailed) as info:
            check_pair(speech, est, SR)
        assert info.value.reason == reason
    with pytest.raises(Excluded, match="silent reference"):  # a silent reference with silent output: excluded
        check_pair(np.zeros_like(speech), np.zeros_like(speech), SR)
    quiet = 1e-4 * speech / np.sqrt(np.mean(speech**2))  # a faithful copy of a very quiet clip is not "silent"
    check_pair(quiet * 1.5, quiet, SR)


def test_every_item_metric_declares_a_finite_worst():
    import importlib

    for name, spec in METRICS.items():
        worst = getattr(getattr(importlib.import_module(spec.module), spec.cls), "worst", None)
        assert isinstance(worst, float) and np.isfinite(worst), name


def test_failed_decodes_score_the_worst_value(speech):
    metrics = build_metrics(FAST)
    rows = []
    for kind, est in failed_outputs(speech).items():
        row = score_item(metrics, speech, est, SR)
        for name in FAST:
            if kind == "constant" and name != "si_sdr":
                continue  # a loud constant is a real (terrible) output for the spectral metrics
            assert row[name] == metrics[name].worst, (kind, name, row[name])
            assert row[f"{name}/codec_failed"].startswith(("silent", "non-finite", "empty")), row
        rows.append(row)
    rows.append(score_item(metrics, np.zeros_like(speech), speech, SR))  # silent reference: still excluded
    agg = aggregate_rows(rows, FAST)
    assert agg["pesq_wb"]["codec_failed"] == 4 and agg["pesq_wb"]["n"] == 5
    assert agg["pesq_wb"]["excluded"] == {"silent reference": 1}
    assert agg["pesq_wb"]["codec_failed_reasons"] == {
        "silent decoded": 2,
        "non-finite samples in decoded": 1,
        "empty decoded": 1,
    }
    assert agg["si_sdr"]["codec_failed"] == 5 and agg["si_sdr"]["mean"] == -50.0


def test_worst_is_no_better_than_a_real_bad_attempt(speech):
    metrics = build_metrics(FAST)
    for est in bad_attempts(speech):
        row = score_item(metrics, speech, est, SR)
        for name in FAST:
            if isinstance(row[name], str):
                continue
            worst = metrics[name].worst
            assert (row[name] >= worst) if name in HIGHER_IS_BETTER else (row[name] <= worst), (name, row[name])
