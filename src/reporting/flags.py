"""Flags the sweep report adds to each job: code collapse, and which options differ beyond their 95% CIs.

collapsed: a discrete job whose entropy bitrate (the empirical entropy of its codes on the test split) is
    below COLLAPSE_FRACTION of its nominal bitrate: most of the codebook is never used, so its quality
    figures describe a codec that transmits far fewer bits than its label says (docs/collapse.md).
vs_best: for each evaluation metric, the job with the best mean (higher or lower, per the metric's
    direction) is `best`; a job whose interval mean ± ci95 does not overlap the best's is `worse` (it
    differs beyond the confidence intervals); an overlapping one is `tie` (not told apart from the best).
    Non-overlap of two 95% intervals is a conservative test (roughly p < 0.01 for equal spreads), chosen
    because it needs only the metrics.json the report already reads.
"""

from __future__ import annotations

import math

from src.metrics.suite import HIGHER_IS_BETTER

COLLAPSE_FRACTION = 0.5  # the criterion: a grid job must keep its entropy bitrate above half its nominal
BEST, WORSE, TIE = "best", "worse", "tie"
MD_MARKS = {BEST: " [best]", WORSE: " [-]", TIE: ""}  # how report.md shows vs_best next to `mean ± ci95`


def _finite(value) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    return float(value)


def is_collapsed(nominal, entropy, fraction: float = COLLAPSE_FRACTION) -> bool | None:
    """True when entropy < fraction x nominal; None when either is unknown (continuous bottleneck, no eval)."""
    nominal, entropy = _finite(nominal), _finite(entropy)
    if nominal is None or entropy is None or nominal <= 0:
        return None
    return entropy < fraction * nominal


def compare_to_best(cells: dict[str, tuple], higher_is_better: bool) -> dict[str, str]:
    """cells: job -> (mean, ci95) of one metric -> job -> best | worse | tie.

    Jobs without a finite mean get no mark; a job without a ci95 is compared as an interval of zero width.
    Several jobs sharing the best mean are all `best`.
    """
    valid = {job: (_finite(m), _finite(c) or 0.0) for job, (m, c) in cells.items() if _finite(m) is not None}
    if not valid:
        return {}
    pick = max if higher_is_better else min
    best_mean = pick(m for m, _ in valid.values())
    best_jobs = [job for job, (m, _) in valid.items() if m == best_mean]
    best_low = min(valid[j][0] - valid[j][1] for j in best_jobs)
    best_high = max(valid[j][0] + valid[j][1] for j in best_jobs)
    marks = {}
    for job, (mean, ci) in valid.items():
        if job in best_jobs:
            marks[job] = BEST
        else:
            apart = mean + ci < best_low if higher_is_better else mean - ci > best_high
            marks[job] = WORSE if apart else TIE
    return marks


def annotate(rows: list[dict], metrics: list[str]) -> None:
    """Add `collapsed` and `eval/<metric>/vs_best` to the table rows (in place); only ok jobs are ranked."""
    for row in rows:
        row["collapsed"] = is_collapsed(row.get("bitrate_nominal"), row.get("bitrate_entropy"))
    for name in metrics:
        cells = {
            row["job"]: (row.get(f"eval/{name}"), row.get(f"eval/{name}/ci95"))
            for row in rows
            if row.get("status") == "ok"
        }
        marks = compare_to_best(cells, name in HIGHER_IS_BETTER)
        for row in rows:
            row[f"eval/{name}/vs_best"] = marks.get(row["job"])


def collapsed_summary(rows: list[dict]) -> list[str]:
    """A line for report.md's header naming the collapsed jobs (none when no job collapsed)."""
    names = [f"#{row['job']}" for row in rows if row.get("collapsed")]
    if not names:
        return []
    return [f"- collapsed (entropy bitrate < {COLLAPSE_FRACTION:g} x nominal): {len(names)}: {', '.join(names)}"]


def legend() -> str:
    """The lines report.md prints under the table."""
    return (
        f"`collapsed` = entropy bitrate below {COLLAPSE_FRACTION:g} x the nominal (codes collapsed; see "
        "docs/collapse.md). Per metric, `[best]` marks the best mean and `[-]` a job whose 95% CI does "
        "not overlap the best's (differs beyond the confidence intervals); unmarked = not told apart "
        "from the best."
    )
