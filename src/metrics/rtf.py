"""Real-time factor of the codec: wall-clock processing time / duration of the audio processed.

`rtf_encode` times codec.encode and `rtf_decode` codec.decode on each batch (synchronising CUDA
first); every item of a batch gets that batch's RTF. RTF < 1 is faster than real time.
"""
from __future__ import annotations

import time

import torch

NAMES = ("rtf_encode", "rtf_decode")


def timed(fn, *args, **kwargs):
    """-> (fn(*args, **kwargs), wall seconds), CUDA work included."""
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
