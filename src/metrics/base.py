"""Shared pieces of the metric suite: the exclusion signal, input checks and resampling.

Every item metric is a callable `metric(ref, est, sample_rate) -> float` on numpy arrays of shape
(C, T) (float, same rate), and declares `worst`, the value its scale gives a codec that failed. Two kinds
of failure are kept apart (DESIGN.md failure policy, docs/evaluation_failures.md):
- the REFERENCE cannot be scored (silent, too short, non-finite) or the pair cannot be compared (channel
  or length mismatch): `Excluded(reason)`; the suite leaves the item out of the aggregate and counts it,
  never averaging in 0, -1 or NaN;
- the DECODED signal is empty, non-finite or silent against a valid reference: `CodecFailed(reason)`; the
  suite scores the item at the metric's `worst` and counts it as codec_failed, so that a codec that
  outputs nothing never scores better than one that tried.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from typing import ClassVar

import numpy as np


@dataclass(frozen=True)
class Variant:
    """A further registered name built from the same metric class with other constructor arguments."""

    name: str
    kwargs: dict = field(default_factory=dict)
    label: str | None = None  # defaults to the class's label
    rank: int | None = None  # defaults to the class's rank


class Metric:
    """Base of every metric: the class declares how its scores read; src/metrics/registry.py finds it.

    An item metric is called as `metric(ref (C, T), est (C, T), sample_rate) -> float`; a codec metric
    (`codec_level = True`, the RTFs) is measured around the codec by src/evaluate.py instead. Declare:
      name: the registered name used in metrics.names, metrics.json, the report's columns;
      higher_is_better: the direction (the report's best/worse flags, the evaluation table's `better`);
      unit: of the score ("dB", "MOS", ...; "" when unitless); label: the human title in plots;
      worst: the value a failed decode scores (see the module docstring);
      rank: column position in report tables (the paper tables' order; None = after, by name);
      variants: further names built with other constructor kwargs, e.g. (Variant("pesq_nb", {"mode": "nb"}),).
    """

    name: ClassVar[str]
    higher_is_better: ClassVar[bool]
    unit: ClassVar[str] = ""
    label: ClassVar[str]
    worst: ClassVar[float]
    rank: ClassVar[int | None] = None
    variants: ClassVar[tuple[Variant, ...]] = ()
    codec_level: ClassVar[bool] = False


class Excluded(Exception):
    """An item a metric cannot score; `reason` is a short, countable phrase."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class CodecFailed(Exception):
    """The decoded signal failed (empty, non-finite, silent) against a valid reference: scored as `worst`."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class MetricUnavailable(RuntimeError):
    """A metric whose optional dependency is missing; the message says what to install."""


SILENCE_RMS = 1e-4  # about -80 dBFS: below this the reference carries no measurable signal
SILENT_DECODED_DB = 60.0  # a decoded signal below -80 dBFS AND this far below its reference is silent
LENGTH_TOLERANCE_S = 0.02  # codecs pad to a hop; more than 20 ms of difference is a misalignment


def rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(x)))) if x.size else 0.0


def is_silent_decoded(ref: np.ndarray, est: np.ndarray) -> bool:
    """est below -80 dBFS and SILENT_DECODED_DB below ref (a faithfully quiet copy of a quiet clip is not)."""
    level = rms(est)
    return level < SILENCE_RMS and level < rms(ref) * 10 ** (-SILENT_DECODED_DB / 20)


def check_pair(
    ref: np.ndarray,
    est: np.ndarray,
    sample_rate: int,
    min_seconds: float = 0.0,
    tolerance_s: float = LENGTH_TOLERANCE_S,
) -> tuple[np.ndarray, np.ndarray]:
    """ref, est: (C, T_ref), (C, T_est) -> both cropped to the shorter length, as float64.

    Raises Excluded (the item is left out) for: channel mismatch, a non-finite, silent or too short
    (< `min_seconds`) reference, a length difference beyond `tolerance_s`. Raises CodecFailed (the item
    gets the metric's worst value) when the decoded signal is empty, non-finite or silent against that
    valid reference. The reference is judged first: a bad reference is never blamed on the codec.
    """
    ref, est = np.atleast_2d(np.asarray(ref, dtype=np.float64)), np.atleast_2d(np.asarray(est, dtype=np.float64))
    if ref.shape[0] != est.shape[0]:
        raise Excluded(f"channel mismatch ({ref.shape[0]} vs {est.shape[0]})")
    if not np.isfinite(ref).all():
        raise Excluded("non-finite samples in reference")
    if ref.shape[-1] == 0 or ref.shape[-1] < min_seconds * sample_rate:
        raise Excluded(f"shorter than {min_seconds:g} s")
    if rms(ref) < SILENCE_RMS:
        raise Excluded("silent reference")
    if est.shape[-1] == 0:
        raise CodecFailed("empty decoded")
    if not np.isfinite(est).all():
        raise CodecFailed("non-finite samples in decoded")
    diff = abs(ref.shape[-1] - est.shape[-1])
    if diff > tolerance_s * sample_rate:
        raise Excluded(f"length mismatch beyond {tolerance_s * 1000:g} ms")
    n = min(ref.shape[-1], est.shape[-1])
    if n < min_seconds * sample_rate:
        raise Excluded(f"shorter than {min_seconds:g} s")
    ref, est = ref[:, :n], est[:, :n]
    if is_silent_decoded(ref, est):
        raise CodecFailed("silent decoded")
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
