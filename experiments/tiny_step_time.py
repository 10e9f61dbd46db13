"""Side-by-side step time of preset=tiny before and after the collapse fix (docs/collapse.md).

`PYTHONPATH=. python experiments/tiny_step_time.py [out.json]`: builds both Trainers in one process and
times their optimizer steps alternately on the same batch (4 each, the first dropped), so the ratio holds
on a shared machine where absolute times do not.
"""
from __future__ import annotations

import json
import statistics
import sys
import tempfile
import time

from src.benchmarks import compose_bench_config
from src.build import build_trainer

BEFORE = ["preset=tiny", "encoder.init=torch", "optim.generator.lr=1e-4", "trainer.warmup_steps=0"]
CONFIGS = {"before": BEFORE, "after": ["preset=tiny"]}


def main(out: str | None = None, repeats: int = 4) -> dict:
    times: dict[str, list[float]] = {k: [] for k in CONFIGS}
    with tempfile.TemporaryDirectory() as tmp:
        trainers = {k: build_trainer(compose_bench_config(o, f"{tmp}/{k}")) for k, o in CONFIGS.items()}
        batch = next(trainers["after"]._batches())
        for _ in range(repeats):
            for name, trainer in trainers.items():
                start = time.perf_counter()
                trainer._after_step(trainer.train_step([batch]))
                times[name].append(time.perf_counter() - start)
    median = {k: statistics.median(v[1:]) for k, v in times.items()}
    result = {"configs": CONFIGS, "median_step_s": median, "ratio_after_over_before": median["after"] / median["before"],
              "all_step_s": times}
    if out:
        with open(out, "w") as fh:
            json.dump(result, fh, indent=1)
    return result


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1] if len(sys.argv) > 1 else None), indent=1))
