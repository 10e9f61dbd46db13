"""Build realistic fake Hydra sweep directories (the layout src.train / src.evaluate write) for report tests."""

from __future__ import annotations

import json
from pathlib import Path

import yaml


def train_lines(steps: int, start: float = 4.0, rate: float = 0.1) -> list[dict]:
    """Decreasing train losses every 100 steps, with the bookkeeping keys the trainer logs."""
    rows = []
    for i in range(1, steps + 1):
        total = start - rate * i
        rows.append(
            {
                "step": 100 * i,
                "split": "train",
                "loss/total": total,
                "mel": total / 3,
                "adv/gen": 0.9,
                "adv/feat": 0.4,
                "vq/commitment": 0.02,
                "lr": 3e-4,
                "steps_per_s": 4.1,
                "grad_norm/generator": 12.0,
            }
        )
    return rows


def eval_metrics(pesq: float, stoi: float, mcd: float, sim: float, nominal, entropy, n_excl: int = 0) -> dict:
    def stat(mean):
        return {
            "mean": mean,
            "std": 0.1,
            "ci95": 0.05,
            "n": 10 - n_excl,
            "n_excluded": n_excl,
            "excluded": {"silence": n_excl} if n_excl else {},
        }

    return {
        "metrics": {
            "pesq_wb": stat(pesq),
            "stoi": stat(stoi),
            "mcd": stat(mcd),
            "speaker_sim": stat(sim),
            "mel_distance": stat(1.0),
        },
        "bitrate": {"bitrate_nominal": nominal, "bitrate_entropy": entropy, "per_codebook": []},
        "config": {"quantizer": {"_target_": "x"}},
    }


def make_job(
    sweep: Path,
    num: int,
    overrides: list[str],
    lines: list | None = None,
    evaluation: dict | None = None,
    error: str | None = None,
    raw_jsonl_tail: str = "",
) -> Path:
    """One job dir `<sweep>/<num>/`. lines=None: no metrics.jsonl; evaluation=None: no eval/."""
    job = sweep / str(num)
    (job / ".hydra").mkdir(parents=True)
    (job / ".hydra" / "overrides.yaml").write_text(yaml.safe_dump(overrides))
    (job / ".hydra" / "config.yaml").write_text(yaml.safe_dump({"sample_rate": 16000}))
    if lines is not None:
        text = "".join(json.dumps(row) + "\n" for row in lines)
        (job / "metrics.jsonl").write_text(text + raw_jsonl_tail)
    if evaluation is not None:
        (job / "eval").mkdir()
        (job / "eval" / "metrics.json").write_text(json.dumps(evaluation))
    if error is not None:
        (job / "error.txt").write_text(error)
    return job


def make_sweep(root: Path, ablation: str = "quantizers") -> Path:
    """A 4-job quantizer sweep: 2 good jobs, 1 crashed with error.txt, 1 killed before evaluation."""
    sweep = root / "multirun" / "2024-01-01" / "12-00-00"
    sweep.mkdir(parents=True)
    (sweep / "multirun.yaml").write_text(
        yaml.safe_dump(
            {
                "hydra": {
                    "runtime": {"choices": {"ablation": ablation, "preset": "demo"}},
                    "sweeper": {"params": {"quantizer": "rvq,vq,fsq,dac_rvq"}},
                },
                "sample_rate": 16000,
            }
        )
    )
    common = ["preset=demo", f"ablation={ablation}"]
    make_job(
        sweep,
        0,
        [*common, "quantizer=rvq"],
        train_lines(5),
        eval_metrics(3.1, 0.91, 4.2, 0.8, 6000.0, 5400.0, n_excl=2),
    )
    make_job(
        sweep, 1, [*common, "quantizer=vq"], train_lines(5, start=5.0), eval_metrics(2.4, 0.85, 5.0, 0.7, 600.0, 590.0)
    )
    make_job(
        sweep,
        2,
        [*common, "quantizer=fsq"],
        train_lines(2),
        error='Traceback (most recent call last):\n  File "x.py", line 1\n'
        "ValueError: quantizer.levels=[1] must be a non-empty list of integers >= 2\n\n",
    )
    make_job(sweep, 3, [*common, "quantizer=dac_rvq"], train_lines(3), raw_jsonl_tail='{"step": 400, "spl')
    return sweep
