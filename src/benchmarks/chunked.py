"""`python -m src.bench chunked [preset=demo] [seconds=60] [chunk=5] [out=path] [hydra overrides]`.

Whole-file against chunked encode/decode on `seconds` of noise with a slow envelope, for a freshly built
codec (random weights, codebooks fitted to one batch): the receptive fields measured by src/chunked.py,
code agreement and the largest waveform difference for the measured context and for fixed contexts, and
peak memory of encode+decode (each in its own process: sampled RSS above the RSS before the call).
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import threading
import time
from pathlib import Path

import torch

from src.benchmarks import split_options

BENCH_KEYS = {"preset": "demo", "seconds": 60.0, "chunk": 5.0, "out": "bench/chunked.json", "memory_only": ""}
CONTEXTS = (None, 0.0, 0.1, 0.5)  # None: the measured receptive field (1 s on an unbounded side)


def _codec(preset: str, rest: list[str]):
    from src.build import build_codec
    from src.compose import compose_train_config

    torch.manual_seed(0)
    codec = build_codec(compose_train_config([f"preset={preset}", *rest])).train()
    with torch.no_grad():  # fit the EMA codebooks to one batch, as training's first step does
        codec(torch.randn(2, codec.channels, 4 * codec.hop_length) * 0.1)
    return codec.eval()


def _wav(codec, seconds: float) -> torch.Tensor:
    gen = torch.Generator().manual_seed(0)
    n = int(seconds * codec.sample_rate)
    env = 0.05 + 0.3 * torch.sin(torch.linspace(0, seconds * 2 / 3, n)).abs()
    return (torch.randn(1, codec.channels, n, generator=gen) * env).clamp(-1, 1)


def _rss_mb() -> float:
    """Current resident memory (Linux /proc; peak RSS elsewhere)."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
        return pages * resource.getpagesize() / 2**20
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class _PeakSampler(threading.Thread):
    """Samples the RSS every 2 ms: the process's peak RSS is already set by the build, so it cannot tell."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.peak, self.running = _rss_mb(), True

    def run(self) -> None:
        while self.running:
            self.peak = max(self.peak, _rss_mb())
            time.sleep(0.002)


def _memory_child(opts: dict, rest: list[str], mode: str) -> dict:
    codec = _codec(opts["preset"], rest)
    wav = _wav(codec, opts["seconds"])
    chunk = opts["chunk"] if mode == "chunked" else None
    if chunk is not None:
        from src.chunked import receptive_field

        codec._receptive_field = receptive_field(codec)  # measured before the baseline, as a load would
    base, sampler = _rss_mb(), _PeakSampler()
    sampler.start()
    start = time.perf_counter()
    codes = codec.encode(wav, chunk_seconds=chunk)
    codec.decode(codes, length=wav.shape[-1], chunk_seconds=chunk)
    sampler.running = False
    sampler.join()
    return {"mode": mode, "peak_rss_above_baseline_mb": sampler.peak - base, "seconds": time.perf_counter() - start}


def _memory(opts: dict, rest: list[str], mode: str) -> dict:
    args = [f"{k}={v}" for k, v in opts.items() if k not in ("out", "memory_only")]
    cmd = [sys.executable, "-m", "src.bench", "chunked", *args, f"memory_only={mode}", *rest]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    return json.loads(out[out.index("{") :])


def _agreement(codec, wav, chunk: float) -> list[dict]:
    from src.chunked import decode_chunked, encode_chunked, receptive_field

    whole = codec.encode(wav)
    ref = codec.decode(whole, length=wav.shape[-1])
    rows = []
    for ctx in CONTEXTS:
        codes = encode_chunked(codec, wav, chunk, context_seconds=ctx)
        out = decode_chunked(codec, whole, chunk, length=wav.shape[-1], context_seconds=ctx)
        rows.append(
            {
                "context_s": "measured" if ctx is None else ctx,
                "code_agreement_pct": 100 * (codes == whole).float().mean().item(),
                "decode_max_abs_diff": (out - ref).abs().max().item(),
                "decode_rms_diff_db": 20
                * torch.log10((out - ref).pow(2).mean().sqrt() / ref.pow(2).mean().sqrt() + 1e-12).item(),
            }
        )
    field = {k: vars(v) for k, v in receptive_field(codec).items()}
    return [{"receptive_field_frames": field}, *rows]


def main(overrides: list[str]) -> dict:
    opts, rest = split_options(BENCH_KEYS, overrides)
    if opts["memory_only"]:
        return _memory_child(opts, rest, opts["memory_only"])
    torch.set_num_threads(1)
    codec = _codec(opts["preset"], rest)
    rows = _agreement(codec, _wav(codec, opts["seconds"]), opts["chunk"])
    result = {
        "preset": opts["preset"],
        "overrides": rest,
        "seconds": opts["seconds"],
        "chunk_s": opts["chunk"],
        **rows[0],
        "contexts": rows[1:],
        "memory": [_memory(opts, rest, mode) for mode in ("whole", "chunked")],
    }
    out = Path(opts["out"])
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2))
    return result
