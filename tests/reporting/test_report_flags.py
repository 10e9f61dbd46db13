"""The report's flags (src/reporting/flags.py): collapsed jobs, and options that differ beyond their 95% CIs."""

import csv

import pytest

from src.report import write_report
from src.reporting.flags import BEST, TIE, WORSE, compare_to_best, is_collapsed
from src.reporting.runs import read_sweep
from src.reporting.table import build_table
from tests.reporting.sweep_factory import make_job, train_lines


def evaluation(nominal, entropy, **metrics) -> dict:
    """eval/metrics.json with `name=(mean, ci95)` per metric (20 scored items each)."""
    return {
        "metrics": {
            name: {"mean": m, "std": 0.1, "ci95": c, "n": 20, "n_excluded": 0, "excluded": {}}
            for name, (m, c) in metrics.items()
        },
        "bitrate": {"bitrate_nominal": nominal, "bitrate_entropy": entropy, "per_codebook": []},
    }


@pytest.fixture
def quantizer_sweep(tmp_path):
    """The tiny quantizer grid as measured before the fix: three jobs collapsed, two EMA jobs partly used.
    PESQ: rvq best, vq within its CI, the others apart; mel distance (lower is better): fsq best."""
    sweep = tmp_path / "sweep"
    jobs = [
        ("rvq", 600.0, 450.0, (1.30, 0.02), (0.60, 0.05)),
        ("dac_rvq", 600.0, 0.0, (1.02, 0.01), (0.70, 0.02)),
        ("vq", 600.0, 58.0, (1.29, 0.03), (0.62, 0.05)),
        ("factorized_vq", 600.0, 299.0, (1.10, 0.02), (0.64, 0.05)),
        ("fsq", 604.0, 310.0, (1.15, 0.04), (0.50, 0.02)),
    ]
    for i, (name, nominal, entropy, pesq, mel) in enumerate(jobs):
        make_job(
            sweep,
            i,
            ["preset=tiny", "ablation=quantizers", f"+ablation/matched_bitrate={name}"],
            train_lines(2),
            evaluation(nominal, entropy, pesq_wb=pesq, mel_distance=mel),
        )
    make_job(
        sweep,
        5,
        ["preset=tiny", "ablation=quantizers", "+ablation/matched_bitrate=crashed"],
        train_lines(1),
        error="RuntimeError: boom",
    )
    return sweep


def test_collapse_threshold_is_half_the_nominal_bitrate():
    assert is_collapsed(600.0, 299.0) is True and is_collapsed(600.0, 300.0) is False
    assert is_collapsed(None, None) is None and is_collapsed(600.0, None) is None  # continuous / no eval


def test_report_flags_collapsed_jobs_in_csv_and_markdown(quantizer_sweep):
    written = write_report(quantizer_sweep, plots=False)
    with open(written["report.csv"]) as fh:
        rows = {r["ablation/matched_bitrate"]: r for r in csv.DictReader(fh)}
    assert {k: r["collapsed"] for k, r in rows.items()} == {
        "rvq": "False",
        "dac_rvq": "True",
        "vq": "True",
        "factorized_vq": "True",
        "fsq": "False",
        "crashed": "",
    }
    md = written["report.md"].read_text()
    assert "- collapsed (entropy bitrate < 0.5 x nominal): 3: #1, #2, #3" in md
    header = next(line for line in md.splitlines() if line.startswith("| job"))
    assert "| collapsed |" in header
    dac_line = next(line for line in md.splitlines() if "| dac_rvq |" in line)
    assert "**collapsed**" in dac_line


def test_options_apart_from_the_best_beyond_their_ci_are_marked(quantizer_sweep):
    table = build_table(read_sweep(quantizer_sweep))
    pesq = {r["ablation/matched_bitrate"]: r["eval/pesq_wb/vs_best"] for r in table.rows}
    assert pesq == {"rvq": BEST, "vq": TIE, "dac_rvq": WORSE, "factorized_vq": WORSE, "fsq": WORSE, "crashed": None}
    mel = {r["ablation/matched_bitrate"]: r["eval/mel_distance/vs_best"] for r in table.rows}
    assert mel["fsq"] == BEST and mel["rvq"] == WORSE and mel["dac_rvq"] == WORSE  # lower is better
    md = write_report(quantizer_sweep, plots=False)["report.md"].read_text()
    rvq_line = next(line for line in md.splitlines() if "| rvq |" in line)
    vq_line = next(line for line in md.splitlines() if "| vq |" in line)
    assert "1.3 ± 0.02 [best]" in rvq_line and "1.29 ± 0.03 |" in vq_line and "[-]" not in vq_line.split("|")[5]


def test_compare_to_best_edges():
    # touching intervals overlap (tie); ties for the best are all best; missing ci = a point
    assert compare_to_best({"a": (1.0, 0.1), "b": (0.8, 0.1)}, True) == {"a": BEST, "b": TIE}
    assert compare_to_best({"a": (1.0, 0.1), "b": (1.0, 0.2), "c": (0.5, None)}, True) == {
        "a": BEST,
        "b": BEST,
        "c": WORSE,
    }
    assert compare_to_best({"a": (None, None), "b": (float("nan"), 0.1)}, True) == {}
    assert compare_to_best({"a": (2.0, 0.1), "b": (1.0, 0.1)}, False) == {"b": BEST, "a": WORSE}
