"""Shared pieces of the metric suite: the exclusion signal, input checks and resampling.

Every item metric is a callable `metric(ref, est, sample_rate) -> float` on numpy arrays of shape
(C, T) (float, same rate). A metric that cannot score an item raises `Excluded(reason)`; the suite
records the reason and leaves the item out of the aggregate (DESIGN.md failure policy), never
averaging in 0, -1 or NaN.
"""
from __future__ import annotations

from functools import cache

import numpy as np


class Excluded(Exception):
    """An item a metric cannot score; `reason` is a short, countable phrase."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class MetricUnavailable(RuntimeError):
    """A metric whose optional dependency is missing; the message says what to install."""


SILENCE_RMS = 1e-4  # about -80 dBFS: below this the reference carries no measurable signal
LENGTH_TOLERANCE_S = 0.02  # codecs pad to a hop; more than 20 ms of difference is a misalignment


def check_pair(
    ref: np.ndarray,
    est: np.ndarray,
    sample_rate: int,
    min_seconds: float = 0.0,
    tolerance_s: float = LENGTH_TOLERANCE_S,
) -> tuple[np.ndarray, np.ndarray]:
    """ref, est: (C, T_ref), (C, T_est) -> both cropped to the shorter length, as float64.

    Raises Excluded for: channel mismatch, non-finite samples, a length difference beyond
    `tolerance_s`, a clip shorter than `min_seconds`, or a silent reference. A silent *decoded*
    signal is scored (it is a codec failure the numbers must show), not excluded.
    """
    ref, est = np.atleast_2d(np.asarray(ref, dtype=np.float64)), np.atleast_2d(np.asarray(est, dtype=np.float64))
    if ref.shape[0] != est.shape[0]:
        raise Excluded(f"channel mismatch ({ref.shape[0]} vs {est.shape[0]})")
    if not np.isfinite(ref).all():
        raise Excluded("non-finite samples in reference")
    if not np.isfinite(est).all():
        raise Excluded("non-finite samples in decoded")
    diff = abs(ref.shape[-1] - est.shape[-1])
    if diff > tolerance_s * sample_rate:
        raise Excluded(f"length mismatch beyond {tolerance_s * 1000:g} ms")
    n = min(ref.shape[-1], est.shape[-1])
    if n == 0 or n < min_seconds * sample_rate:
        raise Excluded(f"shorter than {min_seconds:g} s")
    ref, est = ref[:, :n], est[:, :n]
    if np.sqrt(np.mean(ref**2)) < SILENCE_RMS:
        raise Excluded("silent reference")
    return ref, est


def resample(x: np.ndarray, sr_in: int, sr_out: int) -> np.ndarray:
    """x: (..., T) -> (..., T'), with soxr's very-high-quality filter (deterministic across machines)."""
    if sr_in == sr_out:
        return x
    import soxr

    flat = np.atleast_2d(x).reshape(-1, x.shape[-1])
    out = np.stack([soxr.resample(row, sr_in, sr_out, quality="VHQ") for row in flat])
    return out.reshape(*x.shape[:-1], out.shape[-1])


def channel_mean(fn, ref: np.ndarray, est: np.ndarray) -> float:
    """Score each channel of (C, T) arrays with fn(ref_1d, est_1d) and average (stereo -> mean)."""
    return float(np.mean([fn(r, e) for r, e in zip(ref, est)]))


@cache
def optional_import(module: str, pip_name: str):
    """Import an optional extra, or raise MetricUnavailable naming the pip package."""
    import importlib

    try:
        return importlib.import_module(module)
    except Exception as err:  # ImportError, or a broken native extension
        raise MetricUnavailable(f"not installed: pip install {pip_name} ({type(err).__name__})") from err
