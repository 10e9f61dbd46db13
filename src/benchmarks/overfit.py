"""`python -m src.bench overfit [steps=300 log_every=25 out=bench/overfit.json] [hydra overrides]`.

Can a configuration fit ONE batch? Repeats the Trainer's own optimizer step on the first training batch
(reconstruction and quantizer terms only: the adversarial phase is kept off) and records the
reconstruction loss every `log_every` steps. A cheap check of an encoder/decoder stack before a long run:
it separates "learns slowly" from "cannot learn", and compares architectures at equal data (the SEANet
shortcut comparison in experiments/README.md was measured with it). Writes the curve as JSON.
"""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path

from src.benchmarks import compose_bench_config, split_options

DEFAULTS = {"steps": 300, "log_every": 25, "out": "bench/overfit.json"}


def main(overrides: list[str]) -> dict:
    from src.build import build_trainer

    opts, rest = split_options(DEFAULTS, overrides)
    steps, every = opts["steps"], opts["log_every"]
    with tempfile.TemporaryDirectory() as run_dir:
        cfg = compose_bench_config([*rest, f"trainer.warmup_steps={steps + 1}"], run_dir)  # adversarial phase off
        trainer = build_trainer(cfg)
        batch = next(trainer._batches())
        names = list(trainer.recon)
        curve, start = [], time.perf_counter()
        for step in range(1, steps + 1):
            logs = trainer.train_step([batch])
            if logs is None:
                raise RuntimeError(f"overfit: step {step} was skipped (non-finite loss); lower optim.generator.lr")
            if step == 1 or step % every == 0 or step == steps:
                curve.append({"step": step, **{n: float(logs[f"loss/{n}"]) for n in names}})
        seconds = time.perf_counter() - start
    n_params = sum(p.numel() for p in trainer.codec_raw.parameters() if p.requires_grad)
    result = {
        "overrides": rest,
        "steps": steps,
        "batch_shape": list(batch["wav"].shape),
        "params": n_params,
        "seconds": seconds,
        "curve": curve,
        "final": curve[-1],
    }
    out = Path(opts["out"])
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2))
    return result
