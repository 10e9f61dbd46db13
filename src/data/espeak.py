"""eSpeak NG formant synthesis (Dunn & Vitolins' espeak-ng) driven through ctypes, byte-reproducibly.

libespeak-ng keeps static state between utterances (echo buffers, flutter phase, noise state) that
espeak_Terminate does not reset, so the same text synthesized twice in one process differs. Each
utterance is therefore synthesized in a freshly forked child of a clean worker process (which never
imports torch), with espeak's and libc's random seeds fixed: the bytes of an utterance then depend
only on (text, voice settings), not on what was synthesized before or on how many run in parallel.

Run as a script (`python espeak.py < jobs.json`) it is that worker; `synthesize_many` drives it.
"""

from __future__ import annotations

import ctypes
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

ESPEAK_RATE = 22050  # libespeak-ng's fixed output rate
PEAK = 0.5  # -6 dBFS peak after resampling: headroom for codecs that overshoot
VOLUME = 60  # espeak amplitude (0-200, default 100): 100 clips klatt voices inside espeak
SEED = 1234  # espeak's and libc's noise seeds (breathy and klatt voices use noise)

# espeak_lib.h constants
_SYNCHRONOUS, _POS_CHARACTER, _CHARS_UTF8 = 2, 1, 1
_PARAM = {"rate": 1, "volume": 2, "pitch": 3, "range": 4, "wordgap": 7}


class _Engine:
    """libespeak-ng loaded and initialized once in the worker; children inherit it through fork
    (never having synthesized, its state is the same in every child)."""

    def __init__(self) -> None:
        import espeakng_loader

        self.lib = ctypes.CDLL(espeakng_loader.get_library_path())
        if self.lib.espeak_Initialize(_SYNCHRONOUS, 0, espeakng_loader.get_data_path().encode(), 0) <= 0:
            raise RuntimeError("espeak_Initialize failed")
        self.chunks: list[np.ndarray] = []
        callback_type = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.c_void_p)
        self._callback = callback_type(self._collect)  # kept alive: espeak holds a raw pointer
        self.lib.espeak_SetSynthCallback(self._callback)

    def _collect(self, wav, n, _events) -> int:
        if n > 0 and wav:
            self.chunks.append(np.ctypeslib.as_array(wav, shape=(n,)).copy())
        return 0  # 0 = continue synthesis

    def synthesize(self, job: dict) -> np.ndarray:
        """job's text with its voice settings -> int16 PCM at ESPEAK_RATE."""
        lib = self.lib
        lib.espeak_ng_SetRandSeed(ctypes.c_long(SEED))
        ctypes.CDLL(None).srand(SEED)
        if lib.espeak_SetVoiceByName(job["voice"].encode()) != 0:
            raise ValueError(f"espeak has no voice {job['voice']!r}")
        for key in ("rate", "pitch", "range", "wordgap"):
            if key in job:
                lib.espeak_SetParameter(_PARAM[key], int(job[key]), 0)
        lib.espeak_SetParameter(_PARAM["volume"], VOLUME, 0)
        text = job["text"].encode("utf-8")
        if lib.espeak_Synth(text, len(text) + 1, 0, _POS_CHARACTER, 0, _CHARS_UTF8, None, None) != 0:
            raise RuntimeError(f"espeak_Synth failed on {job['text']!r}")
        lib.espeak_Synchronize()
        return np.concatenate(self.chunks)


def _write_child(engine: _Engine, job: dict) -> None:
    """In a forked child: synthesize, resample to job["sample_rate"], peak-normalize, write WAV."""
    import soundfile as sf
    import soxr

    pcm = engine.synthesize(job).astype(np.float32) / 32768.0
    wav = soxr.resample(pcm, ESPEAK_RATE, int(job["sample_rate"]), quality="HQ")
    wav = wav * (PEAK / max(float(np.abs(wav).max()), 1e-6))
    sf.write(job["path"], wav, int(job["sample_rate"]), subtype="PCM_16")


def _worker(jobs: list[dict], workers: int) -> int:
    """Fork one child per job, at most `workers` at a time; returns the number of failures."""
    import soundfile  # noqa: F401  (imported once here so that children inherit them)
    import soxr  # noqa: F401

    engine = _Engine()
    running: dict[int, dict] = {}
    failed = 0

    def reap() -> int:
        pid, status = os.wait()
        job = running.pop(pid)
        if os.waitstatus_to_exitcode(status) != 0:
            print(f"espeak: failed on {job['path']}", file=sys.stderr)
            return 1
        return 0

    for job in jobs:
        while len(running) >= workers:
            failed += reap()
        pid = os.fork()
        if pid == 0:  # child: never return into the parent's loop
            code = 0
            try:
                _write_child(engine, job)
            except BaseException as err:  # noqa: BLE001 - report anything, then exit non-zero
                print(f"espeak child: {err}", file=sys.stderr)
                code = 1
            sys.stderr.flush()
            os._exit(code)
        running[pid] = job
    while running:
        failed += reap()
    return failed


def synthesize_many(jobs: list[dict], workers: int = 1) -> None:
    """jobs: dicts with text, voice ("en+f3"), sample_rate, path, and optional rate (words/min),
    pitch (0-100), range (0-100), wordgap (x10 ms). Writes one 16-bit mono WAV per job."""
    if not hasattr(os, "fork"):
        raise RuntimeError("the demo corpus synthesis needs os.fork (Linux or macOS)")
    proc = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), str(workers)],
        input=json.dumps(jobs),
        text=True,
        capture_output=True,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"espeak synthesis failed (exit {proc.returncode}): {proc.stderr[-2000:]}")


def synthesize(text: str, voice: str, sample_rate: int = 16000, **settings) -> bytes:
    """One utterance -> the bytes of its WAV file (for checks and notebooks)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "utt.wav"
        synthesize_many([dict(text=text, voice=voice, sample_rate=sample_rate, path=str(path), **settings)])
        return path.read_bytes()


if __name__ == "__main__":
    # run by path: drop this folder from sys.path so its modules cannot shadow installed packages
    sys.path = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
    sys.exit(1 if _worker(json.loads(sys.stdin.read()), int(sys.argv[1])) else 0)
