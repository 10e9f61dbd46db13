"""Real-time factor of the codec: wall-clock processing time / duration of the audio processed.

`rtf_encode` times codec.encode and `rtf_decode` codec.decode on each batch (synchronising CUDA
first); every item of a batch gets that batch's RTF. RTF < 1 is faster than real time.
"""

from __future__ import annotations

import math
import time

from src.metrics.base import Metric, Variant


class RealTimeFactor(Metric):
    """Declares the two codec-level RTF metrics; src/evaluate.py measures them with `timed`."""

    name = "rtf_encode"
    higher_is_better = False
    unit = ""  # processing seconds per second of audio
    label = "RTF (encode)"
    worst = math.inf
    codec_level = True  # measured around codec.encode / codec.decode, not per (ref, est) item
    variants = (Variant("rtf_decode", label="RTF (decode)"),)


NAMES = (RealTimeFactor.name, *(v.name for v in RealTimeFactor.variants))


def timed(fn, *args, **kwargs):
    """-> (fn(*args, **kwargs), wall seconds), CUDA work included."""
    import torch  # here, not at the top: the metric registry imports this module, and reports need no torch

    sync = torch.cuda.synchronize if torch.cuda.is_available() else (lambda: None)
    sync()
    start = time.perf_counter()
    out = fn(*args, **kwargs)
    sync()
    return out, time.perf_counter() - start


def real_time_factor(seconds: float, audio_seconds: float) -> float:
    """Processing seconds per second of audio."""
    if audio_seconds <= 0:
        raise ValueError("real_time_factor needs a positive audio duration")
    return seconds / audio_seconds
