"""The per-job table: swept columns, cells, markdown and CSV shapes (src/reporting/table.py)."""

import csv
import io

from src.reporting.runs import read_sweep
from src.reporting.table import (
    MAX_MD_ERROR,
    build_table,
    fixed_overrides,
    job_label,
    swept_keys,
    to_csv,
    to_markdown,
)
from tests.reporting.sweep_factory import eval_metrics, make_job, make_sweep, train_lines


def _cells(md_line: str) -> list[str]:
    """Split a markdown row on unescaped pipes."""
    return [c.strip() for c in md_line.replace("\\|", "\0").strip().strip("|").split("|")]


def test_only_differing_overrides_are_columns(tmp_path):
    jobs = read_sweep(make_sweep(tmp_path))
    assert swept_keys(jobs) == ["quantizer"]
    assert fixed_overrides(jobs) == {"preset": "demo", "ablation": "quantizers"}


def test_key_missing_from_some_jobs_is_swept(tmp_path):
    make_job(tmp_path, 0, ["a=1"], train_lines(1), eval_metrics(1, 1, 1, 1, 1.0, 1.0))
    make_job(tmp_path, 1, ["a=1", "b=2"], train_lines(1), eval_metrics(1, 1, 1, 1, 1.0, 1.0))
    jobs = read_sweep(tmp_path)
    assert swept_keys(jobs) == ["b"]
    assert build_table(jobs).rows[0]["b"] == ""
    assert job_label(jobs[1], ["a", "b"]) == "#1 a=1 b=2" and job_label(jobs[1], []) == "#1"


def test_table_rows_and_columns(tmp_path):
    table = build_table(read_sweep(make_sweep(tmp_path)))
    assert table.train[:2] == ["loss/total", "mel"]
    assert table.metrics[:4] == ["pesq_wb", "stoi", "mcd", "speaker_sim"]  # paper order first
    ok, _, crashed, killed = table.rows
    assert ok["status"] == "ok" and ok["eval/pesq_wb"] == 3.1 and ok["eval/pesq_wb/n_excluded"] == 2
    assert crashed["status"] == "failed" and crashed["error"].startswith("ValueError")
    assert killed["status"] == "failed" and "eval/pesq_wb" not in killed and killed["step"] == 300


def test_csv_has_one_row_per_job_and_empty_cells_for_missing(tmp_path):
    table = build_table(read_sweep(make_sweep(tmp_path)))
    rows = list(csv.DictReader(io.StringIO(to_csv(table))))
    assert len(rows) == 4 and list(rows[0]) == table.columns
    assert [r["quantizer"] for r in rows] == ["rvq", "vq", "fsq", "dac_rvq"]
    assert float(rows[0]["eval/stoi"]) == 0.91 and float(rows[1]["bitrate_nominal"]) == 600.0
    assert rows[2]["eval/stoi"] == "" and rows[3]["error"] == "no eval/metrics.json"
    assert float(rows[3]["train/loss/total"]) == 3.7


def test_markdown_rows_align_and_escape(tmp_path):
    sweep = make_sweep(tmp_path)
    make_job(
        sweep,
        4,
        ["preset=demo", "ablation=quantizers", "quantizer=x|y"],
        train_lines(1),
        error="ValueError: " + "long | message " * 40,
    )
    md = to_markdown(build_table(read_sweep(sweep))).splitlines()
    header = _cells(md[0])
    assert len(md) == 2 + 5 and all(len(_cells(line)) == len(header) for line in md[2:])
    row0 = dict(zip(header, _cells(md[2])))
    assert row0["pesq_wb"] == "3.1 ± 0.05 (2 excl.) [best]" and row0["bitrate (bps)"] == "6000"
    row4 = dict(zip(header, _cells(md[6])))
    assert row4["quantizer"] == "x\0y" and row4["error"].endswith("...")
    assert len(row4["error"].replace("\0", "|")) == MAX_MD_ERROR
