"""`python -m src.bench train [mode=throughput|step_time] [steps=K] [warmup=W] [batch=4 seconds=1] [out=path]
[hydra overrides]`.

throughput: audio seconds trained per wall second over K optimizer steps after W warm-up steps, on the
    configured data; step_time: median seconds of one full training step (discriminator + generator,
    forward and backward) on a random batch of `batch` x `seconds` (4 x 1 s: the figure quoted for presets). Both
    report peak memory: peak
    RSS on CPU, torch.cuda.max_memory_allocated on GPU. Writes bench/train.json (or out=).
"""

from __future__ import annotations

import json
import resource
import statistics
import tempfile
import time
from pathlib import Path

import torch

from src.benchmarks import compose_bench_config, split_options

BENCH_KEYS = {"mode": "throughput", "steps": 10, "warmup": 2, "batch": 4, "seconds": 1.0, "out": "bench/train.json"}


def _split_args(overrides: list[str]) -> tuple[dict, list[str]]:
    opts, rest = split_options(BENCH_KEYS, overrides)
    if opts["mode"] not in ("throughput", "step_time"):
        raise ValueError(f"mode={opts['mode']!r}: choose throughput or step_time")
    return opts, rest


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _peak_memory(device: torch.device) -> dict:
    if device.type == "cuda":
        return {"peak_memory_bytes": int(torch.cuda.max_memory_allocated(device)), "memory_kind": "cuda_allocated"}
    return {
        "peak_memory_bytes": int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss) * 1024,
        "memory_kind": "cpu_peak_rss",
    }


def _timed_steps(trainer, make_batches, n: int) -> list[float]:
    times = []
    for _ in range(n):
        batches = make_batches()
        _sync(trainer.acc.device)
        start = time.perf_counter()
        trainer._after_step(trainer.train_step(batches))
        _sync(trainer.acc.device)
        times.append(time.perf_counter() - start)
    return times


def main(overrides: list[str]) -> dict:
    from src.build import build_trainer

    opts, rest = _split_args(overrides)
    steps, warmup = opts["steps"], opts["warmup"]
    with tempfile.TemporaryDirectory() as run_dir:
        cfg = compose_bench_config(rest, run_dir)
        trainer = build_trainer(cfg)
        if trainer.acc.device.type == "cuda":
            torch.cuda.reset_peak_memory_stats(trainer.acc.device)
        trainer.step = max(trainer.step, int(cfg.trainer.warmup_steps))  # measure the adversarial phase
        if opts["mode"] == "step_time":
            size, seconds = opts["batch"], opts["seconds"]
            batch = {"wav": torch.randn(size, int(cfg.channels), round(seconds * int(cfg.sample_rate)))}
            times = _timed_steps(trainer, lambda: [batch], warmup + steps)[warmup:]
            result = {"step_time_s": statistics.median(times), "batch": f"{size} x {seconds:g} s"}
        else:
            data, accum = trainer._batches(), int(cfg.trainer.grad_accum_steps)
            times = _timed_steps(trainer, lambda: [next(data) for _ in range(accum)], warmup + steps)[warmup:]
            audio = trainer.step_log.audio_seconds_per_step * trainer.acc.num_processes * len(times)
            result = {"audio_s_per_s": audio / sum(times), "steps_per_s": len(times) / sum(times)}
    result.update(
        mode=opts["mode"],
        steps=steps,
        warmup=warmup,
        device=str(trainer.acc.device),
        overrides=rest,
        **_peak_memory(trainer.acc.device),
    )
    out = Path(opts["out"])
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2))
    return result
