"""`python -m src.report <sweep_dir>` end to end on a fake sweep: files written, table printed, no crash."""

import csv

from src.report import REPORT_FILES, main, write_report
from tests.reporting.sweep_factory import make_sweep


def test_cli_writes_all_outputs_and_prints_table(tmp_path, capsys):
    sweep = make_sweep(tmp_path)
    assert main([str(tmp_path / "multirun")]) == 0  # a parent dir resolves to its newest sweep
    out = capsys.readouterr().out
    assert sorted(p.name for p in (sweep / "report").iterdir()) == sorted(REPORT_FILES)
    assert "| job | quantizer | status |" in out and "ValueError: quantizer.levels" in out
    assert "- jobs: 4 (2 ok, 2 failed)" in out and "`preset=demo`" in out
    md = (sweep / "report" / "report.md").read_text()
    assert out.strip() == md.strip()
    with open(sweep / "report" / "report.csv") as fh:
        assert [r["status"] for r in csv.DictReader(fh)] == ["ok", "ok", "failed", "failed"]


def test_no_plots_and_custom_out_dir(tmp_path):
    sweep = make_sweep(tmp_path)
    written = write_report(sweep, tmp_path / "elsewhere", plots=False)
    assert set(written) == {"report.md", "report.csv"}
    assert written["report.md"].parent == tmp_path / "elsewhere" and not (sweep / "report").exists()


def test_cli_error_on_a_dir_without_jobs(tmp_path, capsys):
    assert main([str(tmp_path)]) == 2
    assert "no Hydra jobs" in capsys.readouterr().err
    (tmp_path / "multirun.yaml").write_text("hydra: {}\n")
    assert main([str(tmp_path)]) == 2
    assert "has no job directories" in capsys.readouterr().err


def test_baselines_are_reference_rows(tmp_path, capsys):
    """--baseline run dirs (e.g. converted published codecs) add rows without joining the grid's overrides."""
    import json

    from tests.reporting.sweep_factory import eval_metrics

    sweep = make_sweep(tmp_path)
    scored = tmp_path / "dac16"
    (scored / "eval").mkdir(parents=True)
    (scored / "eval" / "metrics.json").write_text(json.dumps(eval_metrics(4.1, 0.97, 1.2, 0.9, 6000, 5500)))
    (scored / "source.json").write_text(json.dumps({"format": "dac", "preset": "dac_16khz"}))
    unscored = tmp_path / "encodec24"
    unscored.mkdir()
    assert main([str(sweep), "--no-plots", "--baseline", str(scored), "--baseline", str(unscored)]) == 0
    out = capsys.readouterr().out
    assert "- jobs: 4 (2 ok, 2 failed)" in out and "`preset=demo`" in out  # the grid is read as before
    row = next(line for line in out.splitlines() if "baseline dac:dac_16khz" in line)
    assert "| ok |" in row and "4.1" in row
    assert "baseline encodec24 |  | failed" in out and "no eval/metrics.json: run `python -m src.evaluate" in out
