"""Read a Hydra sweep directory (one sub-directory per job) into `JobRecord`s.

Layout read (written by src.train and src.evaluate):
  <sweep>/multirun.yaml
  <sweep>/<num>/.hydra/overrides.yaml     list of "key=value" strings
  <sweep>/<num>/metrics.jsonl             one JSON object per logging step ("split": train|valid)
  <sweep>/<num>/eval/metrics.json         {"metrics": {name: {mean, std, ci95, n, ...}}, "bitrate": {...}}
  <sweep>/<num>/error.txt                 present when the job failed (last line = the error)
Everything is optional: a missing or malformed file gives empty cells or a failed row, never an exception.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path

import yaml

# metrics.jsonl keys that are bookkeeping, not loss terms (prefix match on the part before any '/').
BOOKKEEPING = (
    "step",
    "split",
    "epoch",
    "time",
    "wall",
    "lr",
    "steps_per_s",
    "samples_per_s",
    "grad_norm",
    "nonfinite",
    "skipped",
    "gpu_mem",
    "data_time",
)
CURVE_KEYS = ("loss/total", "mel")


@dataclass
class JobRecord:
    """One job of a sweep. `error` is set (and `ok` False) for a failed or incomplete job."""

    name: str
    path: Path
    overrides: list[str] = field(default_factory=list)
    train: dict[str, float] = field(default_factory=dict)  # last train line's loss terms
    step: int | None = None  # step of the last train line
    curves: dict[str, list[tuple[int, float]]] = field(default_factory=dict)  # key -> [(step, value)]
    eval_metrics: dict[str, dict] = field(default_factory=dict)  # name -> {mean, ci95, n, n_excluded, ...}
    bitrate: dict = field(default_factory=dict)  # bitrate_nominal, bitrate_entropy, per_codebook
    error: str | None = None
    warnings: list[str] = field(default_factory=list)
    baseline: bool = False  # a reference row (--baseline): not part of the grid's swept/fixed overrides

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def choices(self) -> dict[str, str]:
        return parse_overrides(self.overrides)


def parse_overrides(overrides: list[str]) -> dict[str, str]:
    """["quantizer=rvq", "+x.y=1", "~z"] -> {"quantizer": "rvq", "x.y": "1", "z": "<deleted>"}."""
    out: dict[str, str] = {}
    for item in overrides:
        text = str(item).strip()
        if text.startswith("~"):
            out[text[1:].split("=", 1)[0]] = "<deleted>"
            continue
        key, sep, value = text.lstrip("+").partition("=")
        out[key] = value if sep else ""
    return out


def is_bookkeeping(key: str) -> bool:
    head = key.split("/", 1)[0]
    return any(head == b or head.startswith(b + "_") for b in BOOKKEEPING)


def _number(value) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def read_metrics_jsonl(path: Path, job: JobRecord) -> None:
    """Fill job.train / job.step / job.curves from metrics.jsonl; bad lines are skipped and counted."""
    bad = 0
    with open(path, encoding="utf-8", errors="replace") as fh:
        for line in fh:
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError:
                bad += 1  # a killed job can leave a half-written last line
                continue
            if not isinstance(row, dict) or row.get("split", "train") != "train":
                continue
            step = _number(row.get("step"))
            terms = {k: v for k, v in row.items() if not is_bookkeeping(k) and _number(v) is not None}
            if terms:
                job.train = {k: float(v) for k, v in terms.items()}
                job.step = int(step) if step is not None else job.step
            for key in CURVE_KEYS:
                value = _number(row.get(key))
                if value is not None and step is not None and math.isfinite(value):
                    job.curves.setdefault(key, []).append((int(step), value))
    if bad:
        job.warnings.append(f"{path.name}: {bad} unreadable line(s) skipped")


def read_eval(path: Path, job: JobRecord) -> None:
    """Fill job.eval_metrics and job.bitrate from eval/metrics.json (or set job.error)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        job.error = f"unreadable eval/metrics.json: {err}"
        return
    metrics = data.get("metrics") if isinstance(data, dict) else None
    if isinstance(metrics, dict):
        job.eval_metrics = {k: v for k, v in metrics.items() if isinstance(v, dict)}
    bitrate = data.get("bitrate") if isinstance(data, dict) else None
    if isinstance(bitrate, dict):
        job.bitrate = bitrate


def last_error_line(path: Path) -> str:
    """The traceback's last non-empty line (the exception), or a placeholder."""
    try:
        lines = [ln.strip() for ln in path.read_text(encoding="utf-8", errors="replace").splitlines()]
    except OSError as err:
        return f"error.txt unreadable: {err}"
    lines = [ln for ln in lines if ln]
    return lines[-1] if lines else "failed (empty error.txt)"


def read_overrides(job_dir: Path) -> list[str]:
    path = job_dir / ".hydra" / "overrides.yaml"
    if not path.exists():
        return []
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError:
        return []
    return [str(x) for x in data] if isinstance(data, list) else []


def read_job(job_dir: Path) -> JobRecord:
    job = JobRecord(name=job_dir.name, path=job_dir, overrides=read_overrides(job_dir))
    if (job_dir / "metrics.jsonl").exists():
        read_metrics_jsonl(job_dir / "metrics.jsonl", job)
    if (job_dir / "eval" / "metrics.json").exists():
        read_eval(job_dir / "eval" / "metrics.json", job)
    elif job.error is None:
        job.error = "no eval/metrics.json"
    if (job_dir / "error.txt").exists():  # the job's own error beats "no eval" as the explanation
        job.error = last_error_line(job_dir / "error.txt")
    return job


def read_baseline(run_dir: str | Path) -> JobRecord:
    """A run directory shown beside the sweep (a converted published codec, an Opus baseline, another
    run): its eval/metrics.json, labelled from its source.json (src.convert) when it has one."""
    path = Path(run_dir)
    label = path.name
    try:
        source = json.loads((path / "source.json").read_text(encoding="utf-8"))
        label = f"{source.get('format', '?')}:{source.get('preset', path.name)}"
    except (OSError, ValueError, AttributeError):
        pass
    job = read_job(path) if path.is_dir() else JobRecord(name=str(path), path=path, error="not a directory")
    job.name, job.baseline, job.overrides = f"baseline {label}", True, []
    if not (path / "eval" / "metrics.json").exists() and path.is_dir():
        job.error = f"no eval/metrics.json: run `python -m src.evaluate run_dir={path}` first"
    return job


def _is_job_dir(path: Path) -> bool:
    markers = (".hydra", "metrics.jsonl", "error.txt", "eval")
    return path.is_dir() and any((path / m).exists() for m in markers)


def _job_sort_key(path: Path):
    return (0, int(path.name), "") if path.name.isdigit() else (1, 0, path.name)


def find_job_dirs(sweep_dir: Path) -> list[Path]:
    return sorted((p for p in sweep_dir.iterdir() if _is_job_dir(p)), key=_job_sort_key)


def resolve_sweep_dir(path: str | Path) -> Path:
    """A sweep dir, a single run dir, or a parent of sweeps (-> its newest sweep, by multirun.yaml mtime)."""
    path = Path(path)
    if not path.is_dir():
        raise FileNotFoundError(f"{path} is not a directory: pass a sweep dir such as multirun/<date>/<time>")
    if (path / "multirun.yaml").exists() or find_job_dirs(path) or (path / ".hydra").exists():
        return path
    sweeps = [Path(root) for root, _, files in os.walk(path) if "multirun.yaml" in files]
    if not sweeps:
        raise FileNotFoundError(
            f"no Hydra jobs under {path}: expected <sweep>/<num>/.hydra/overrides.yaml or <sweep>/multirun.yaml"
        )
    return max(sweeps, key=lambda p: (p / "multirun.yaml").stat().st_mtime)


def read_sweep(sweep_dir: str | Path) -> list[JobRecord]:
    """All jobs of a sweep, in job-number order. A single run dir (with .hydra/) gives one job."""
    sweep_dir = Path(sweep_dir)
    if (sweep_dir / ".hydra").exists() and not (sweep_dir / "multirun.yaml").exists():
        return [read_job(sweep_dir)]
    return [read_job(d) for d in find_job_dirs(sweep_dir)]


def sweep_info(sweep_dir: str | Path) -> dict:
    """From multirun.yaml: the ablation grid name and the sweeper params (empty when unknown)."""
    path = Path(sweep_dir) / "multirun.yaml"
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) if path.exists() else {}
    except yaml.YAMLError:
        data = {}
    hydra = (data or {}).get("hydra") or {}
    choices = (hydra.get("runtime") or {}).get("choices") or {}
    params = (hydra.get("sweeper") or {}).get("params") or {}
    return {
        "ablation": choices.get("ablation"),
        "preset": choices.get("preset"),
        "params": {str(k): str(v) for k, v in params.items()},
    }
