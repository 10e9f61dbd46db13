"""Report figures (matplotlib, Agg): bitrate against quality, and training curves per job."""

from __future__ import annotations

import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # headless: sweeps run on CPU boxes and SLURM nodes without a display
import matplotlib.pyplot as plt
from matplotlib.lines import Line2D

from src.metrics.registry import spec
from src.reporting.runs import CURVE_KEYS, JobRecord

# The four quality panels (the codec papers' headline metrics); titles, units and direction arrows come from
# the metric classes (src/metrics/registry.py).
PANEL_METRICS = ("pesq_wb", "stoi", "mcd", "speaker_sim")
QUALITY_PANELS = tuple((name, spec(name).title) for name in PANEL_METRICS)
NOMINAL_MARKER, ENTROPY_MARKER = "o", "x"  # distinct: filled circle = nominal, cross = entropy-based


def _finite(x) -> float | None:
    if isinstance(x, bool) or not isinstance(x, (int, float)) or not math.isfinite(x):
        return None
    return float(x)


def quality_points(jobs: list[JobRecord], metric: str) -> list[tuple[JobRecord, float | None, float | None, float]]:
    """(job, nominal bps, entropy bps, metric mean) for the successful jobs that have the metric and a bitrate."""
    points = []
    for job in jobs:
        if not job.ok:
            continue
        value = _finite((job.eval_metrics.get(metric) or {}).get("mean"))
        nominal = _finite(job.bitrate.get("bitrate_nominal"))
        entropy = _finite(job.bitrate.get("bitrate_entropy"))
        if value is not None and (nominal is not None or entropy is not None):
            points.append((job, nominal, entropy, value))
    return points


def _empty(ax, text: str) -> None:
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes, fontsize=9, color="gray")


def _quality_panel(ax, jobs: list[JobRecord], labels: dict[str, str], metric: str, title: str) -> None:
    ax.set_title(title)
    ax.set_xlabel("bitrate (bps)")
    points = quality_points(jobs, metric)
    if not points:
        _empty(ax, f"no job has both `{metric}` and a bitrate")
        return
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for i, (job, nominal, entropy, value) in enumerate(points):
        color = colors[i % len(colors)]
        xs = [x for x in (nominal, entropy) if x is not None]
        if len(xs) == 2:  # the gap shows how much entropy coding could save
            ax.plot(xs, [value, value], color=color, lw=0.8, alpha=0.6)
        if nominal is not None:
            ax.scatter([nominal], [value], color=color, marker=NOMINAL_MARKER, s=36)
        if entropy is not None:
            ax.scatter([entropy], [value], color=color, marker=ENTROPY_MARKER, s=40)
        ax.annotate(labels[job.name], (xs[0], value), textcoords="offset points", xytext=(4, 4), fontsize=7)
    rates = [x for _, n, e, _ in points for x in (n, e) if x]
    if rates and max(rates) / min(rates) > 8:  # 0.5-24 kbps grids: a linear axis crams the low rates
        ax.set_xscale("log")
    ax.grid(alpha=0.3)


def plot_bitrate_vs_quality(jobs: list[JobRecord], labels: dict[str, str], path: Path) -> Path:
    """One figure, 4 panels (PESQ, STOI, MCD, speaker similarity) against nominal and entropy bitrate."""
    fig, axes = plt.subplots(2, 2, figsize=(11, 8))
    for ax, (metric, title) in zip(axes.flat, QUALITY_PANELS):
        _quality_panel(ax, jobs, labels, metric, title)
    handles = [
        Line2D([], [], color="k", ls="", marker=NOMINAL_MARKER, label="nominal bitrate"),
        Line2D([], [], color="k", ls="", marker=ENTROPY_MARKER, label="entropy bitrate"),
    ]
    fig.legend(handles=handles, loc="upper right", fontsize=8)
    fig.suptitle("bitrate against quality (each point one job)")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def plot_training_curves(jobs: list[JobRecord], labels: dict[str, str], path: Path) -> Path:
    """loss/total and mel against step, one line per job (failed jobs dashed: where they stopped shows)."""
    fig, axes = plt.subplots(1, len(CURVE_KEYS), figsize=(12, 4.5))
    for ax, key in zip(axes, CURVE_KEYS):
        ax.set_title(f"train {key}")
        ax.set_xlabel("step")
        drawn = 0
        for job in jobs:
            curve = job.curves.get(key) or []
            if not curve:
                continue
            steps, values = zip(*curve)
            ax.plot(steps, values, lw=1.0, ls="-" if job.ok else "--", label=labels[job.name])
            drawn += 1
        if drawn:
            ax.legend(fontsize=7)
            ax.grid(alpha=0.3)
        else:
            _empty(ax, f"no job logged `{key}`")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
