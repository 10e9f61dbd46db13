"""`python -m src.bench snake [preset=dac_16khz batch=4 seconds=1 steps=3 warmup=1 out=bench/snake.json]`.

The snake autograd function (src/nn/snake.py) against the same formula composed from eager ops, side by
side in one process on one preset's generator (encoder + bottleneck + decoder + head, no discriminators):
median forward+backward seconds (variants interleaved, so drift hits both) and the bytes autograd keeps
for the backward pass (counted with saved-tensor hooks, each tensor once), i.e. the activation memory.
"""

from __future__ import annotations

import json
import statistics
import time
from contextlib import contextmanager
from pathlib import Path

import torch

from src.benchmarks import parse_options
from src.nn import snake as snake_module
from src.nn.snake import snake_eager

DEFAULTS = {"preset": "dac_16khz", "batch": 4, "seconds": 1.0, "steps": 3, "warmup": 1, "out": "bench/snake.json"}


@contextmanager
def _variant(name: str):
    """Route Snake1d/SnakeBeta through the eager formula while `name == "eager"`."""
    original = snake_module.snake
    snake_module.snake = (lambda x, a, b, backend=None: snake_eager(x, a, b)) if name == "eager" else original
    try:
        yield
    finally:
        snake_module.snake = original


def saved_bytes(run, min_numel: int = 1) -> int:
    """Bytes autograd keeps for backward while `run()` builds its graph, each tensor once; tensors with
    fewer than `min_numel` elements (parameters such as alpha) can be left out."""
    seen: dict[int, int] = {}

    def pack(t):
        seen[id(t)] = t.numel() * t.element_size() if t.numel() >= min_numel else 0
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        run()
    return sum(seen.values())


def main(overrides: list[str]) -> dict:
    from src.build import build_codec
    from src.compose import compose_train_config

    opts = parse_options(DEFAULTS, overrides)
    cfg = compose_train_config([f"preset={opts['preset']}"])
    torch.manual_seed(0)
    codec = build_codec(cfg).train()
    wav = 0.1 * torch.randn(opts["batch"], int(cfg.channels), int(opts["seconds"] * cfg.sample_rate))

    def step(backward: bool = True):
        out = codec(wav)
        loss = (out.wav_hat - wav).abs().mean()
        if backward:
            loss.backward()
            codec.zero_grad(set_to_none=True)

    times: dict[str, list[float]] = {"eager": [], "function": []}
    for i in range(opts["warmup"] + opts["steps"]):
        for name, series in times.items():
            with _variant(name):
                start = time.perf_counter()
                step()
                if i >= opts["warmup"]:
                    series.append(time.perf_counter() - start)
    saved = {}
    for name in times:
        with _variant(name):
            saved[name] = saved_bytes(lambda: step(backward=False))
    result = {
        "preset": opts["preset"],
        "batch": f"{opts['batch']} x {opts['seconds']:g} s",
        "device": "cpu",
        "threads": torch.get_num_threads(),
        **{f"step_s_{n}": statistics.median(t) for n, t in times.items()},
        **{f"saved_gb_{n}": b / 2**30 for n, b in saved.items()},
        "time_ratio_function_over_eager": statistics.median(times["function"]) / statistics.median(times["eager"]),
        "saved_ratio_function_over_eager": saved["function"] / saved["eager"],
    }
    out = Path(opts["out"])
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2))
    return result
