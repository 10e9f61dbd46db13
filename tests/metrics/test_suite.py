"""The suite: failure policy in aggregates, the trainer's score_pairs, parallel == serial."""

import math

import numpy as np
import pytest
import torch

from src.metrics.suite import (
    ALL_METRICS,
    Job,
    aggregate,
    build_metrics,
    score_item,
    score_jobs,
    score_pairs,
)

SR = 16000


def test_aggregate_excludes_reasons_and_counts_them():
    agg = aggregate([1.0, 2.0, 3.0, "silent reference", "silent reference", "shorter than 0.25 s"])
    assert agg["mean"] == 2.0 and agg["n"] == 3 and agg["n_excluded"] == 3
    assert agg["std"] == pytest.approx(1.0)
    assert agg["ci95"] == pytest.approx(4.302653 / math.sqrt(3), rel=1e-5)  # t(0.975, 2) * s / sqrt(n)
    assert agg["excluded"] == {"silent reference": 2, "shorter than 0.25 s": 1}


def test_aggregate_with_nothing_scored_is_null_not_zero():
    agg = aggregate(["silent reference"])
    assert agg["mean"] is None and agg["n"] == 0 and agg["n_excluded"] == 1


def test_score_item_records_reasons_per_metric(speech):
    metrics = build_metrics(["pesq_wb", "si_sdr", "mel_distance"])
    short = speech[:, :2000]  # 0.125 s: too short for PESQ only
    row = score_item(metrics, short, short, SR)
    assert row["pesq_wb"] == "shorter than 0.25 s"
    assert isinstance(row["si_sdr"], float) and row["mel_distance"] == 0.0
    row = score_item(metrics, speech, speech * np.nan, SR)  # the codec's failure: worst values, counted
    assert row == {
        "pesq_wb": 1.0,
        "si_sdr": -50.0,
        "mel_distance": 10.0,
        **{f"{n}/codec_failed": "non-finite samples in decoded" for n in metrics},
    }


def test_score_pairs_for_the_trainer(speech, noisy):
    refs = [torch.from_numpy(speech).float(), torch.from_numpy(speech).float(), torch.zeros(1, 16000)]
    ests = [torch.from_numpy(speech).float(), torch.from_numpy(noisy).float(), torch.zeros(1, 16000)]
    out = score_pairs(refs, ests, SR)
    assert set(out) == {"mel_distance", "pesq_wb", "stoi"}
    for agg in out.values():
        assert agg["n"] == 2 and agg["excluded"] == {"silent reference": 1}
    assert out["pesq_wb"]["mean"] < 4.64


def test_unknown_metric_names_the_choices():
    with pytest.raises(ValueError, match="choose from"):
        build_metrics(["pesq_wb", "pesq_xb"])
    assert "rtf_encode" in ALL_METRICS and "rtf_encode" not in build_metrics(["rtf_encode"])


def test_parallel_workers_match_serial(speech, noisy):
    jobs = [Job(f"i{k}", speech, noisy[:, : speech.shape[1] - 10 * k], SR) for k in range(4)]
    jobs.append(Job("silent", np.zeros_like(speech), speech, SR))
    names = ["si_sdr", "mel_distance"]
    serial = score_jobs(jobs, names, num_workers=0, progress=False)
    parallel = score_jobs(jobs, names, num_workers=2, chunk_size=2, progress=False)
    assert [r["item"] for r in parallel] == [j.item for j in jobs]
    for a, b in zip(parallel, serial):  # equal up to BLAS summation order (1e-15)
        assert a.keys() == b.keys()
        assert all(a[n] == b[n] if isinstance(b[n], str) else a[n] == pytest.approx(b[n], rel=1e-9) for n in names)
    assert parallel[-1]["si_sdr"] == "silent reference"
