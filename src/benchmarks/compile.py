"""`python -m src.bench compile [preset=tiny|none] [mode=true|kernels|auto] [steps=5] [warmup=2] [batch=4
seconds=1] [backend=inductor] [out=path] [hydra overrides]`: the training step eager against
trainer.compile=<mode>, side by side.

Two trainers from the same seed (one eager, one compiled) take their warm-up steps (the compiled one's
include compilation, reported as compile_s), then alternate timed steps on the same random batch, so that
load on a shared machine hits both alike. Reports median step times, eager/compiled ratio, and Dynamo's
graph breaks and graphs over warm-up and over the timed steps (recompilations). Writes bench/compile.json.
"""

from __future__ import annotations

import json
import statistics
import tempfile
import time
from pathlib import Path

import torch

from src.benchmarks import compose_bench_config, split_options
from src.benchmarks.train import _sync

BENCH_KEYS = {
    "preset": "tiny",
    "steps": 5,
    "warmup": 2,
    "batch": 4,
    "seconds": 1.0,
    "backend": "inductor",
    "mode": "true",
    "out": "bench/compile.json",
}


def _step(trainer, batch) -> float:
    _sync(trainer.acc.device)
    start = time.perf_counter()
    trainer._after_step(trainer.train_step([batch]))
    _sync(trainer.acc.device)
    return time.perf_counter() - start


def _trainer(opts: dict, rest: list[str], run_dir: str, compiled: bool):
    from src.build import build_trainer

    mode = str(opts["mode"]).lower() if compiled else "false"
    flags = [f"trainer.compile={mode}", f"trainer.compile_backend={opts['backend']}"]
    preset = [] if opts["preset"] == "none" else [f"preset={opts['preset']}"]  # none: the overrides alone
    cfg = compose_bench_config([*preset, *rest, *flags], run_dir)
    trainer = build_trainer(cfg)
    trainer.step = max(trainer.step, int(cfg.trainer.warmup_steps))  # measure the adversarial phase
    return trainer, cfg


def main(overrides: list[str]) -> dict:
    from src.training.compile import dynamo_counts

    opts, rest = split_options(BENCH_KEYS, overrides)
    start_counts = dynamo_counts()  # process-wide counters: report this run's share only
    with tempfile.TemporaryDirectory() as a, tempfile.TemporaryDirectory() as b:
        eager, cfg = _trainer(opts, rest, a, compiled=False)
        compiled, _ = _trainer(opts, rest, b, compiled=True)
        shape = (int(opts["batch"]), int(cfg.channels), round(float(opts["seconds"]) * int(cfg.sample_rate)))
        batch = {"wav": torch.randn(*shape)}
        for _ in range(int(opts["warmup"])):
            _step(eager, batch)
        start = time.perf_counter()
        for _ in range(int(opts["warmup"])):
            _step(compiled, batch)
        compile_s, warm = time.perf_counter() - start, dynamo_counts()
        times_e, times_c = [], []
        for _ in range(int(opts["steps"])):  # interleaved
            times_e.append(_step(eager, batch))
            times_c.append(_step(compiled, batch))
        after = dynamo_counts()
    result = {
        "preset": opts["preset"],
        "mode": str(opts["mode"]).lower(),
        "backend": opts["backend"],
        "batch": f"{shape[0]} x {opts['seconds']:g} s",
        "device": str(eager.acc.device),
        "threads": torch.get_num_threads(),
        "overrides": rest,
        "step_s_eager": statistics.median(times_e),
        "step_s_compiled": statistics.median(times_c),
        "compile_s": compile_s,
        "compiled_modules": compiled.compiled,
        "graph_breaks_warmup": warm["graph_breaks"] - start_counts["graph_breaks"],
        "graphs_warmup": warm["graphs"] - start_counts["graphs"],
        "graph_breaks_after_warmup": after["graph_breaks"] - warm["graph_breaks"],
        "recompiles_after_warmup": after["graphs"] - warm["graphs"],
    }
    result["ratio_eager_over_compiled"] = result["step_s_eager"] / result["step_s_compiled"]
    out = Path(opts["out"])
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2))
    return result
