"""One row per job: swept choices, final training losses, evaluation means; as markdown and CSV."""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass

from src.metrics.registry import registry
from src.reporting import flags
from src.reporting.runs import JobRecord

# Evaluation metrics with a declared `rank` first, in rank order (the paper tables'), any others after, sorted.
METRIC_ORDER = tuple(n for n, s in registry().items() if s.rank is not None)
BITRATE_KEYS = ("bitrate_nominal", "bitrate_entropy")
MAX_MD_ERROR = 120  # characters of the error shown in markdown (the CSV keeps it whole)


def swept_keys(jobs: list[JobRecord]) -> list[str]:
    """Override keys whose value differs between jobs (a key absent from some jobs differs)."""
    keys: list[str] = []
    jobs = [j for j in jobs if not j.baseline]  # reference rows have no overrides of the grid
    for job in jobs:
        keys += [k for k in job.choices if k not in keys]
    return [k for k in keys if len({job.choices.get(k) for job in jobs}) > 1]


def fixed_overrides(jobs: list[JobRecord]) -> dict[str, str]:
    """Overrides every job shares (e.g. preset=demo): shown once above the table."""
    swept = set(swept_keys(jobs))
    jobs = [j for j in jobs if not j.baseline]
    if not jobs:
        return {}
    return {k: v for k, v in jobs[0].choices.items() if k not in swept}


def job_label(job: JobRecord, keys: list[str]) -> str:
    """Short plot/legend label: the swept values (key=value when several keys are swept)."""
    choices = job.choices
    if not keys or job.baseline:
        return f"#{job.name}"
    if len(keys) == 1:
        return f"#{job.name} {choices.get(keys[0], '-')}"
    return f"#{job.name} " + " ".join(f"{k.rsplit('.', 1)[-1]}={choices.get(k, '-')}" for k in keys)


def _ordered(names: set[str], first: tuple[str, ...]) -> list[str]:
    return [n for n in first if n in names] + sorted(names - set(first))


@dataclass
class Table:
    """columns: the CSV header; rows: one dict per job (missing keys = empty cells)."""

    swept: list[str]
    train: list[str]
    metrics: list[str]
    rows: list[dict]

    @property
    def columns(self) -> list[str]:
        cols = ["job", *self.swept, "status", "step"]
        cols += [f"train/{k}" for k in self.train]
        for m in self.metrics:
            cols += [
                f"eval/{m}",
                f"eval/{m}/ci95",
                f"eval/{m}/n",
                f"eval/{m}/n_excluded",
                f"eval/{m}/codec_failed",
                f"eval/{m}/vs_best",
            ]
        return cols + list(BITRATE_KEYS) + ["collapsed", "error"]


def build_table(jobs: list[JobRecord]) -> Table:
    swept = swept_keys(jobs)
    train = _ordered({k for j in jobs for k in j.train}, ("loss/total", "mel"))
    metrics = _ordered({k for j in jobs for k in j.eval_metrics}, METRIC_ORDER)
    rows = []
    for job in jobs:
        row = {"job": job.name, "status": "ok" if job.ok else "failed", "step": job.step, "error": job.error or ""}
        row.update({k: job.choices.get(k, "") for k in swept})
        row.update({f"train/{k}": v for k, v in job.train.items()})
        for name, stats in job.eval_metrics.items():
            for field in ("mean", "ci95", "n", "n_excluded", "codec_failed"):
                key = f"eval/{name}" if field == "mean" else f"eval/{name}/{field}"
                row[key] = stats.get(field)
        row.update({k: job.bitrate.get(k) for k in BITRATE_KEYS})
        rows.append(row)
    flags.annotate(rows, metrics)
    return Table(swept, train, metrics, rows)


def fmt(value) -> str:
    """Numbers to 4 significant digits; None/missing to an empty cell."""
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return "nan" if math.isnan(value) else f"{value:.4g}"
    return str(value)


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _md_metric(row: dict, name: str) -> str:
    """`mean ± ci95`, plus how many items the metric could not score (never averaged in as 0) and how many
    decoded items failed (averaged in at the metric's worst value)."""
    mean = row.get(f"eval/{name}")
    if mean is None:
        return ""
    text = fmt(mean)
    if row.get(f"eval/{name}/ci95") is not None:
        text += f" ± {fmt(row[f'eval/{name}/ci95'])}"
    if row.get(f"eval/{name}/n_excluded"):
        text += f" ({row[f'eval/{name}/n_excluded']} excl.)"
    if row.get(f"eval/{name}/codec_failed"):
        text += f" ({row[f'eval/{name}/codec_failed']} codec-failed)"
    return text + flags.MD_MARKS.get(row.get(f"eval/{name}/vs_best"), "")


def _md_collapsed(flag: bool | None) -> str:
    return "" if flag is None else ("**collapsed**" if flag else "no")


def to_markdown(table: Table) -> str:
    header = [
        "job",
        *table.swept,
        "status",
        "step",
        *table.train,
        *table.metrics,
        "bitrate (bps)",
        "entropy bitrate (bps)",
        "collapsed",
        "error",
    ]
    lines = ["| " + " | ".join(_md_cell(h) for h in header) + " |", "|" + "---|" * len(header)]
    for row in table.rows:
        error = row["error"]
        if len(error) > MAX_MD_ERROR:
            error = error[: MAX_MD_ERROR - 3] + "..."
        cells = [row["job"], *(row.get(k, "") for k in table.swept), row["status"], fmt(row.get("step"))]
        cells += [fmt(row.get(f"train/{k}")) for k in table.train]
        cells += [_md_metric(row, m) for m in table.metrics]
        cells += [fmt(row.get(k)) for k in BITRATE_KEYS] + [_md_collapsed(row.get("collapsed")), error]
        lines.append("| " + " | ".join(_md_cell(str(c)) for c in cells) + " |")
    return "\n".join(lines)


def to_csv(table: Table) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=table.columns, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in table.rows:
        writer.writerow({k: ("" if row.get(k) is None else row.get(k)) for k in table.columns})
    return buf.getvalue()
