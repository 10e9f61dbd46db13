"""The evaluation suite: metric registry, parallel scoring over items, failure policy and aggregation.

Each item metric scores (ref, est) numpy arrays (C, T); an item whose reference cannot be scored is
recorded with the reason and left out of the aggregate, and an item whose decoded signal failed (empty,
non-finite, silent) is scored at the metric's `worst` and counted as codec_failed (DESIGN.md). Items are scored in
worker processes (spawn/
forkserver, one thread each, models loaded once per worker), in chunks.
"""

from __future__ import annotations

import math
import multiprocessing as mp
import os
from concurrent.futures import ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from src.metrics.base import CodecFailed, Excluded, MetricUnavailable
from src.metrics.registry import registry

# All read from the metric classes (src/metrics/registry.py); nothing here lists metric names.
METRICS = {n: s for n, s in registry().items() if not s.codec_level}  # item metrics: name -> MetricSpec
CODEC_METRICS = tuple(n for n, s in registry().items() if s.codec_level)  # measured around the codec (RTF)
ALL_METRICS = (*METRICS, *CODEC_METRICS)
HIGHER_IS_BETTER = {n for n, s in registry().items() if s.higher_is_better}
CODEC_FAILED = "/codec_failed"  # row key suffix: row["pesq_wb/codec_failed"] = reason (the score is the worst)


def failed_key(name: str) -> str:
    return name + CODEC_FAILED


def check_names(names) -> list[str]:
    names = list(names)
    unknown = [n for n in names if n not in ALL_METRICS]
    if unknown:
        raise ValueError(f"unknown metric(s) {unknown} in metrics.names; choose from {list(ALL_METRICS)}")
    return names


def build_metrics(names, options: dict | None = None) -> dict[str, Any]:
    """-> {name: metric callable} for the item metrics among `names` (codec metrics are skipped)."""
    options = options or {}
    built = {}
    for name in check_names(names):
        if name in METRICS:
            built[name] = METRICS[name].build(options.get(name))
    return built


def score_item(metrics: dict[str, Any], ref: np.ndarray, est: np.ndarray, sample_rate: int) -> dict:
    """-> {name: float score, or str exclusion reason} for one (ref, est) pair (C, T); a decoded signal
    that failed scores metric.worst and adds {name + "/codec_failed": reason}."""
    row: dict[str, float | str] = {}
    for name, metric in metrics.items():
        try:
            value = float(metric(ref, est, sample_rate))
            row[name] = value if math.isfinite(value) else "non-finite score"
        except CodecFailed as exc:
            row[name], row[failed_key(name)] = float(metric.worst), exc.reason
        except Excluded as exc:
            row[name] = exc.reason
        except MetricUnavailable as exc:
            row[name] = str(exc)
        except Exception as exc:  # noqa: BLE001 -- keep a long evaluation alive; the reason names it
            row[name] = f"error: {type(exc).__name__}: {str(exc)[:80]}"
    return row


# ------------------------------------------------------------------ jobs and workers
@dataclass
class Job:
    """One item: `ref`/`est` are (C, T) arrays or audio file paths (est resampled to ref's rate)."""

    item: str
    ref: Any
    est: Any
    sample_rate: int | None = None


def _load(job: Job) -> tuple[np.ndarray, np.ndarray, int]:
    import soundfile as sf

    from src.metrics.base import resample

    if not isinstance(job.ref, (str, Path)):
        return np.asarray(job.ref), np.asarray(job.est), int(job.sample_rate)
    ref, sr = sf.read(str(job.ref), dtype="float64", always_2d=True)
    if Path(job.est).stat().st_size == 0:  # a 0-byte decoded file is the codec's empty output, not a bad read
        return ref.T, np.zeros((ref.shape[1], 0)), sr
    est, sr_est = sf.read(str(job.est), dtype="float64", always_2d=True)
    return ref.T, (resample(est.T, sr_est, sr) if est.shape[0] else est.T), sr


_WORKER_METRICS: dict[str, Any] = {}


def _init_worker(names, options) -> None:
    import torch

    torch.set_num_threads(1)
    _WORKER_METRICS.update(build_metrics(names, options))


def _score_jobs(jobs: list[Job], metrics: dict | None = None) -> list[dict]:
    metrics = _WORKER_METRICS if metrics is None else metrics
    rows = []
    for job in jobs:
        try:
            ref, est, sr = _load(job)
        except Exception as exc:  # noqa: BLE001 -- any read failure excludes the item
            reason = f"unreadable audio: {type(exc).__name__}"
            rows.append({"item": job.item, **{n: reason for n in metrics}})
            continue
        rows.append({"item": job.item, **score_item(metrics, ref, est, sr)})
    return rows


def _context(names):
    """forkserver (spawn where absent) with the heavy imports preloaded once in the server process,
    so that each worker forks with torch/librosa/metric modules already imported."""
    if "forkserver" not in mp.get_all_start_methods():
        return mp.get_context("spawn")
    ctx = mp.get_context("forkserver")
    ctx.set_forkserver_preload(
        ["numpy", "scipy.signal", "torch", "librosa", "src.metrics.suite", *sorted({METRICS[n].module for n in names})]
    )
    return ctx


@contextmanager
def one_torch_thread():
    """In-process scoring with torch's default thread pool oversubscribes a busy machine (the
    Resemblyzer LSTM ran ~70x slower in CPU time on 2 shared cores); metrics use one thread."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


@contextmanager
def _single_threaded_env():
    """Worker processes inherit these: BLAS/OpenMP pools of one thread, no oversubscription."""
    keys = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "NUMBA_NUM_THREADS")
    saved = {k: os.environ.get(k) for k in keys}
    os.environ.update({k: "1" for k in keys})
    try:
        yield
    finally:
        for k, v in saved.items():
            os.environ.pop(k) if v is None else os.environ.__setitem__(k, v)


def score_jobs(jobs: list[Job], names, options=None, num_workers=None, chunk_size=4, progress=True) -> list[dict]:
    """Score every job with the item metrics among `names` -> rows in job order.

    num_workers: None = all cores; 0 or 1 = in this process.
    """
    from tqdm.auto import tqdm

    names = [n for n in check_names(names) if n in METRICS]
    workers = (os.cpu_count() or 1) if num_workers is None else int(num_workers)
    workers = min(workers, max(1, len(jobs)))
    chunks = [jobs[i : i + chunk_size] for i in range(0, len(jobs), chunk_size)]
    bar = tqdm(total=len(jobs), desc="scoring", unit="item", disable=not progress)
    if workers <= 1:
        metrics = build_metrics(names, options)
        rows = []
        with one_torch_thread():
            for chunk in chunks:
                rows += _score_jobs(chunk, metrics)
                bar.update(len(chunk))
        bar.close()
        return rows
    ctx = _context(names)
    results: dict[int, list[dict]] = {}
    with (
        _single_threaded_env(),
        ProcessPoolExecutor(workers, mp_context=ctx, initializer=_init_worker, initargs=(names, options)) as pool,
    ):
        futures = {pool.submit(_score_jobs, chunk): i for i, chunk in enumerate(chunks)}
        for fut in as_completed(futures):
            results[futures[fut]] = fut.result()
            bar.update(len(results[futures[fut]]))
    bar.close()
    return [row for i in range(len(chunks)) for row in results[i]]


# ------------------------------------------------------------------ aggregation
def aggregate(values: list, codec_failed: list | None = None) -> dict:
    """values: floats (scores) and strs (exclusion reasons) -> mean, std, ci95, n, n_excluded, excluded,
    codec_failed (how many of the n scores are the worst value of a failed decode) and its reasons.

    std is the sample standard deviation (ddof=1); ci95 is the half-width of the 95% Student-t
    confidence interval of the mean (mean ± ci95). With no scored item, mean/std/ci95 are null.
    """
    from scipy import stats

    scores = np.array([v for v in values if not isinstance(v, str)], dtype=np.float64)
    excluded: dict[str, int] = {}
    for v in values:
        if isinstance(v, str):
            excluded[v] = excluded.get(v, 0) + 1
    n = len(scores)
    mean = float(scores.mean()) if n else None
    std = float(scores.std(ddof=1)) if n > 1 else (0.0 if n == 1 else None)
    ci95 = float(stats.t.ppf(0.975, n - 1) * std / math.sqrt(n)) if n > 1 else None
    failed: dict[str, int] = {}
    for reason in codec_failed or ():
        failed[reason] = failed.get(reason, 0) + 1
    return {
        "mean": mean,
        "std": std,
        "ci95": ci95,
        "n": n,
        "n_excluded": sum(excluded.values()),
        "excluded": excluded,
        "codec_failed": sum(failed.values()),
        "codec_failed_reasons": failed,
    }


def aggregate_rows(rows: list[dict], names) -> dict[str, dict]:
    return {
        name: aggregate(
            [row[name] for row in rows if name in row],
            [row[failed_key(name)] for row in rows if failed_key(name) in row],
        )
        for name in names
    }


def score_pairs(refs, ests, sample_rate: int, metrics=("mel_distance", "pesq_wb", "stoi"), options=None) -> dict:
    """In-process scoring for the trainer's validation: refs, ests: sequences of (C, T) arrays or
    tensors -> {name: aggregate dict}. Runs in the calling process (no workers)."""

    def to_np(x):
        return x.detach().float().cpu().numpy() if hasattr(x, "detach") else np.asarray(x)

    built = build_metrics(metrics, options)
    with one_torch_thread():
        rows = [score_item(built, to_np(r), to_np(e), sample_rate) for r, e in zip(refs, ests)]
    return aggregate_rows(rows, list(built))
