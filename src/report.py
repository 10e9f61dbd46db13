"""`python -m src.report <sweep_dir>`: one table (markdown + CSV) and PNG plots for a Hydra sweep.

Reads every job of the sweep (see src/reporting/runs.py for the layout), writes
<sweep_dir>/report/{report.md, report.csv, bitrate_vs_quality.png, training_curves.png}
and prints the markdown table. A failed job is a row carrying its error, never a crash.
`<sweep_dir>` may also be a parent such as `multirun/` (its newest sweep is used) or a single run dir.
`--baseline <run_dir>` (repeatable) adds reference rows, e.g. a published codec converted with
`python -m src.convert` and scored with `python -m src.evaluate run_dir=<it>` (docs/published_checkpoints.md).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from src.reporting import flags
from src.reporting.runs import JobRecord, read_baseline, read_sweep, resolve_sweep_dir, sweep_info
from src.reporting.table import (
    build_table,
    fixed_overrides,
    job_label,
    swept_keys,
    to_csv,
    to_markdown,
)

LEGEND = (
    "Train columns: the last `split=train` line of metrics.jsonl. Eval columns: mean ± 95% CI over "
    "the test items; `excl.` = items whose reference the metric could not score (not averaged in); "
    "`codec-failed` = items whose decoded audio was empty, non-finite or silent (averaged in at the "
    "metric's worst value)."
)
REPORT_FILES = ("report.md", "report.csv", "bitrate_vs_quality.png", "training_curves.png")


def render_markdown(sweep_dir: Path, jobs: list[JobRecord]) -> str:
    """The whole report.md: title, fixed overrides, the table, failures and reader warnings."""
    info = sweep_info(sweep_dir)
    lines = [f"# Sweep report: `{sweep_dir}`", ""]
    if info["ablation"]:
        preset = f", preset `{info['preset']}`" if info["preset"] else ""
        lines.append(f"- grid: `ablation={info['ablation']}`{preset}")
    fixed = fixed_overrides(jobs)
    if fixed:
        lines.append("- fixed overrides: " + " ".join(f"`{k}={v}`" for k, v in fixed.items()))
    grid = [j for j in jobs if not j.baseline]
    n_failed, table = sum(not j.ok for j in grid), build_table(jobs)
    lines += [f"- jobs: {len(grid)} ({len(grid) - n_failed} ok, {n_failed} failed)"]
    if len(grid) < len(jobs):
        lines.append("- baselines: " + ", ".join(f"`{j.path}`" for j in jobs if j.baseline))
    lines += flags.collapsed_summary(table.rows)
    lines += ["", to_markdown(table), ""]
    lines += [LEGEND, flags.legend(), ""]
    warnings = [f"- job {j.name}: {w}" for j in jobs for w in j.warnings]
    if warnings:
        lines += ["Reader warnings:", *warnings, ""]
    return "\n".join(lines)


def write_report(
    sweep_dir: str | Path, out_dir: str | Path | None = None, plots: bool = True, baselines=()
) -> dict[str, Path]:
    """Write the report files; returns {file name: path}. Raises only when there is no job at all.
    baselines: run directories added as reference rows after the sweep's jobs."""
    sweep_dir = resolve_sweep_dir(sweep_dir)
    jobs = read_sweep(sweep_dir)
    if not jobs:
        raise FileNotFoundError(f"{sweep_dir} has no job directories (<num>/ with .hydra/, metrics.jsonl or eval/)")
    jobs += [read_baseline(b) for b in baselines]
    out = Path(out_dir) if out_dir else sweep_dir / "report"
    out.mkdir(parents=True, exist_ok=True)
    written = {"report.md": out / "report.md", "report.csv": out / "report.csv"}
    written["report.md"].write_text(render_markdown(sweep_dir, jobs), encoding="utf-8")
    written["report.csv"].write_text(to_csv(build_table(jobs)), encoding="utf-8")
    if plots:
        from src.reporting.plots import (  # matplotlib is slow to import
            plot_bitrate_vs_quality,
            plot_training_curves,
        )

        keys = swept_keys(jobs)
        labels = {j.name: job_label(j, keys) for j in jobs}
        written["bitrate_vs_quality.png"] = plot_bitrate_vs_quality(jobs, labels, out / "bitrate_vs_quality.png")
        written["training_curves.png"] = plot_training_curves(jobs, labels, out / "training_curves.png")
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m src.report", description=__doc__.split("\n")[0])
    parser.add_argument("sweep_dir", help="multirun/<date>/<time> (or multirun/ for the newest sweep)")
    parser.add_argument("--out", default=None, help="output dir (default: <sweep_dir>/report)")
    parser.add_argument("--no-plots", action="store_true", help="table only (skips matplotlib)")
    parser.add_argument(
        "--baseline",
        action="append",
        default=[],
        metavar="RUN_DIR",
        help="an evaluated run dir shown as a reference row (repeatable), e.g. a converted published codec",
    )
    args = parser.parse_args(argv)
    try:
        written = write_report(args.sweep_dir, args.out, plots=not args.no_plots, baselines=args.baseline)
    except FileNotFoundError as err:
        print(f"report: {err}", file=sys.stderr)
        return 2
    print(written["report.md"].read_text(encoding="utf-8"))
    print("wrote " + ", ".join(str(p) for p in written.values()), file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
