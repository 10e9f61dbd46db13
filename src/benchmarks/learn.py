"""`python -m src.bench learn [stacks=[demo_waveform,demo]] [minutes=3] [repeats=1] [max_items=40] [seed=0]
[metrics=[mel_distance,pesq_wb,stoi]] [runs_dir=bench/learn_runs] [out=bench/learn.json] [hydra overrides]`.

Quality per CPU minute: each stack trains for the same wall-clock budget (`trainer.max_minutes`), one
`python -m src.train` subprocess at a time so that nothing else of ours competes for the cores, into a
fresh run directory under <runs_dir>/<time>/; then its exported codec is scored on the test split by the
evaluation suite. A stack is `<preset>` or `<preset>+<variant>[+...]`, the variants being named lists of
overrides in experiments/bench_learn_variants.yaml; the remaining key=value arguments are Hydra overrides
applied to every stack. Repeat r trains with seed=<seed>+r. Writes one JSON (out=) and its markdown table
(the same path with .md), and prints the table. docs/bench_learn.md says what the figures mean.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

from omegaconf import OmegaConf

from src.benchmarks import split_options

ROOT = Path(__file__).resolve().parents[2]
PRESETS = ROOT / "experiments" / "preset"
VARIANTS = ROOT / "experiments" / "bench_learn_variants.yaml"
DEFAULTS = {
    "stacks": "[demo_waveform,demo]",
    "minutes": 3.0,
    "repeats": 1,
    "max_items": 40,
    "seed": 0,
    "metrics": "[mel_distance,pesq_wb,stoi]",
    "runs_dir": "bench/learn_runs",
    "out": "bench/learn.json",
}
# the run is measured, not watched: no W&B/TensorBoard writers, no bar, no post-run eval (scored here instead)
FIXED = [
    "logger.wandb.enabled=false",
    "logger.tensorboard.enabled=false",
    "logger.progress_bar=false",
    "post_eval.enabled=false",
    "trainer.resume=none",
]
LABELS = {"mel_distance": "mel distance", "pesq_wb": "PESQ-wb", "stoi": "STOI"}


def parse_list(key: str, value: str) -> list[str]:
    """'[a,b]' or 'a,b' -> ['a', 'b']; an empty list is refused naming the key."""
    items = [s.strip() for s in value.strip().removeprefix("[").removesuffix("]").split(",") if s.strip()]
    if not items:
        raise ValueError(f"{key}={value!r}: give at least one name, e.g. {key}=[a,b]")
    return items


def resolve_stack(stack: str, variants: dict) -> list[str]:
    """'demo+adversary' -> the Hydra overrides of that stack: preset=demo, then each variant's overrides."""
    preset, *names = stack.split("+")
    if not (PRESETS / f"{preset}.yaml").is_file():
        known = sorted(p.stem for p in PRESETS.glob("*.yaml"))
        raise ValueError(
            f"stacks: {stack!r} names preset {preset!r}, not in experiments/preset/; choose one of {known}"
        )
    overrides = [f"preset={preset}"]
    for name in names:
        if name not in variants:
            raise ValueError(
                f"stacks: {stack!r} names variant {name!r}, not in {VARIANTS.relative_to(ROOT)}; "
                f"choose one of {sorted(variants)} or add it there"
            )
        overrides += list(variants[name])
    return overrides


def load_variants(path: Path = VARIANTS) -> dict[str, list[str]]:
    return OmegaConf.to_container(OmegaConf.load(path)) if path.is_file() else {}


def train_stack(overrides: list[str], run_dir: Path, minutes: float, timeout_s: float) -> dict:
    """One training subprocess -> {process_seconds, returncode} (+ error). Its output goes to bench_train.log."""
    run_dir.mkdir(parents=True)  # exist_ok=False: a bench run never writes into an existing run
    cmd = [
        sys.executable,
        "-m",
        "src.train",
        *overrides,
        f"trainer.max_minutes={minutes}",
        f"hydra.run.dir={run_dir.resolve()}",
    ]
    start = time.perf_counter()
    with open(run_dir / "bench_train.log", "w") as log_file:
        done = subprocess.run(
            cmd,
            cwd=ROOT,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            timeout=timeout_s,
            check=False,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
    record = {"process_seconds": time.perf_counter() - start, "returncode": done.returncode}
    if done.returncode != 0:
        tail = (run_dir / "bench_train.log").read_text()[-2000:]
        record["error"] = f"src.train exited with {done.returncode}; end of bench_train.log:\n{tail}"
    return record


def score_run(run_dir: Path, metrics: list[str], max_items: int) -> dict:
    """The suite on the run's exported codec (test split) -> {metrics: {name: aggregate}, bitrate}."""
    from hydra import compose, initialize_config_dir

    from src.evaluate import evaluate

    names = ",".join(metrics)
    with initialize_config_dir(config_dir=str(ROOT / "conf"), version_base="1.3"):
        cfg = compose(
            "evaluate",
            overrides=[
                f"run_dir={run_dir.resolve()}",
                "metrics=fast",
                f"metrics.names=[{names}]",
                f"max_items={max_items or 'null'}",
            ],
        )
    result = evaluate(cfg)
    return {"metrics": result["metrics"], "bitrate": result["bitrate"]}


def run_one(stack: str, overrides: list[str], run_dir: Path, opts: dict, seed: int, metrics: list[str]) -> dict:
    record = {"stack": stack, "seed": seed, "run_dir": str(run_dir), "overrides": overrides}
    budget_s = 60.0 * opts["minutes"]
    record.update(train_stack([*overrides, f"seed={seed}"], run_dir, opts["minutes"], 3 * budget_s + 900))
    if "error" in record:
        return record
    summary = json.loads((run_dir / "summary.json").read_text())
    steps = summary["step"] - summary["start_step"]
    # step_seconds: loop start to the end of the last step (in-loop validations included); train_seconds adds
    # the final validation, demo, checkpoint and export, which come after the budget
    record.update(
        steps=summary["step"],
        stopped_on=summary["stopped_on"],
        step_seconds=summary["step_seconds"],
        train_seconds=summary["train_seconds"],
        steps_per_s=steps / max(summary["step_seconds"], 1e-9),
    )
    record.update(score_run(run_dir, metrics, opts["max_items"]))
    return record


def summarise(runs: list[dict], metrics: list[str]) -> dict:
    """Per stack, over its repeats: the mean (and spread, with several seeds) of steps and of each metric mean."""
    import numpy as np

    out = {}
    for stack in dict.fromkeys(r["stack"] for r in runs):
        ok = [r for r in runs if r["stack"] == stack and "error" not in r]
        n_runs = sum(r["stack"] == stack for r in runs)
        row = {"runs": n_runs, "failed": n_runs - len(ok)}
        series = {
            "steps": [r["steps"] for r in ok],
            **{m: [r["metrics"][m]["mean"] for r in ok if r["metrics"][m]["mean"] is not None] for m in metrics},
        }
        for key, values in series.items():
            row[key] = {
                "mean": float(np.mean(values)) if values else None,
                "sd_over_seeds": float(np.std(values, ddof=1)) if len(values) > 1 else None,
            }
        out[stack] = row
    return out


def _cell(agg: dict | None) -> str:
    if not agg or agg.get("mean") is None:
        return "-"
    return f"{agg['mean']:.3f}" + (f" ± {agg['ci95']:.3f}" if agg.get("ci95") is not None else "")


def format_table(result: dict) -> str:
    """Markdown: one row per run, then notes. train s: to the end of the last step; final s: the final
    validation, checkpoint and export after it; metric cells: mean ± ci95 over the test items."""
    metrics = result["metrics"]
    head = [
        "stack",
        "seed",
        "steps",
        "stopped on",
        "train s",
        "final s",
        "steps/s",
        *(LABELS.get(m, m) for m in metrics),
        "nominal kbps",
        "entropy kbps",
    ]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    notes = []
    for r in result["runs"]:
        if "error" in r:
            lines.append(f"| {r['stack']} | {r['seed']} | failed: see {r['run_dir']}/bench_train.log |")
            continue
        br = r.get("bitrate") or {}
        kbps = [f"{br[k] / 1000:.2f}" if br.get(k) is not None else "-" for k in ("bitrate_nominal", "bitrate_entropy")]
        cells = [
            r["stack"],
            str(r["seed"]),
            str(r["steps"]),
            r["stopped_on"],
            f"{r['step_seconds']:.0f}",
            f"{r['train_seconds'] - r['step_seconds']:.0f}",
            f"{r['steps_per_s']:.2f}",
            *(_cell(r["metrics"].get(m)) for m in metrics),
            *kbps,
        ]
        lines.append("| " + " | ".join(cells) + " |")
        if r["stopped_on"] == "max_steps":
            notes.append(
                f"{r['stack']} (seed {r['seed']}) reached its max_steps before the {result['minutes']:g}-minute "
                "budget: raise trainer.max_steps to compare at equal time"
            )
    return "\n".join(lines + [f"\nnote: {n}" for n in notes])


def main(overrides: list[str]) -> dict:
    opts, extra = split_options(DEFAULTS, overrides)
    stacks, metrics = parse_list("stacks", opts["stacks"]), parse_list("metrics", opts["metrics"])
    if opts["minutes"] <= 0 or opts["repeats"] < 1:
        raise ValueError(f"minutes={opts['minutes']}, repeats={opts['repeats']}: give minutes > 0 and repeats >= 1")
    variants = load_variants()
    resolved = {s: [*FIXED, *resolve_stack(s, variants), *extra] for s in stacks}  # all checked before any training
    root = Path(opts["runs_dir"]) / datetime.now().strftime("%Y%m%d-%H%M%S")
    load_before, runs = os.getloadavg()[0], []
    for stack, stack_overrides in resolved.items():
        for r in range(opts["repeats"]):
            seed = opts["seed"] + r
            run_dir = root / (stack if opts["repeats"] == 1 else f"{stack}-seed{seed}")
            runs.append(run_one(stack, stack_overrides, run_dir, opts, seed, metrics))
    result = {
        "minutes": opts["minutes"],
        "repeats": opts["repeats"],
        "max_items": opts["max_items"],
        "metrics": metrics,
        "overrides": extra,
        "runs_dir": str(root),
        "cores": os.cpu_count(),
        "load_average_before": load_before,
        "load_average_after": os.getloadavg()[0],
        "runs": runs,
        "stacks": summarise(runs, metrics),
    }
    out = Path(opts["out"])
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2))
    table = format_table(result)
    out.with_suffix(".md").write_text(table + "\n")  # the table survives the JSON that src.bench prints after it
    print(table)
    return result
