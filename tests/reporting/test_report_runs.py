"""Reading sweep directories: last train line, eval means, failures, tolerant parsing (src/reporting/runs.py)."""

import json
import os

import pytest

from src.reporting.runs import (
    is_bookkeeping,
    parse_overrides,
    read_sweep,
    resolve_sweep_dir,
    sweep_info,
)
from tests.reporting.sweep_factory import eval_metrics, make_job, make_sweep, train_lines


def test_parse_overrides_strips_prefixes_and_keeps_list_values():
    got = parse_overrides(["quantizer=rvq", "+x.y=1", "++z=2", "~w", "discriminator=[mpd,mrd]", "flag"])
    assert got == {"quantizer": "rvq", "x.y": "1", "z": "2", "w": "<deleted>", "discriminator": "[mpd,mrd]", "flag": ""}


def test_bookkeeping_keys_are_not_loss_terms():
    for key in ("step", "lr", "lr/generator", "steps_per_s", "grad_norm/generator", "split"):
        assert is_bookkeeping(key), key
    for key in ("loss/total", "mel", "adv/gen", "vq/commitment", "kl", "melody"):
        assert not is_bookkeeping(key), key


def test_read_sweep_ok_and_failed_jobs(tmp_path):
    jobs = read_sweep(make_sweep(tmp_path))
    assert [j.name for j in jobs] == ["0", "1", "2", "3"]
    ok = jobs[0]
    assert ok.ok and ok.choices["quantizer"] == "rvq"
    assert ok.step == 500 and ok.train["loss/total"] == pytest.approx(3.5)  # the LAST train line
    assert set(ok.train) == {"loss/total", "mel", "adv/gen", "adv/feat", "vq/commitment"}
    assert [s for s, _ in ok.curves["loss/total"]] == [100, 200, 300, 400, 500]
    assert ok.eval_metrics["pesq_wb"]["mean"] == 3.1 and ok.bitrate["bitrate_entropy"] == 5400.0
    assert jobs[2].error == "ValueError: quantizer.levels=[1] must be a non-empty list of integers >= 2"
    assert jobs[2].train["loss/total"] == pytest.approx(3.8)  # losses up to the crash are still read
    assert jobs[3].error == "no eval/metrics.json"
    assert jobs[3].step == 300 and any("1 unreadable line" in w for w in jobs[3].warnings)


def test_valid_lines_do_not_replace_train_losses(tmp_path):
    lines = [*train_lines(2), {"step": 200, "split": "valid", "loss/total": 99.0, "mel_distance": 1.0}]
    make_job(tmp_path, 0, ["a=1"], lines, eval_metrics(1, 1, 1, 1, None, None))
    (job,) = read_sweep(tmp_path)
    assert job.train["loss/total"] == pytest.approx(3.8) and "mel_distance" not in job.train


def test_job_dirs_sort_numerically_and_report_dir_is_not_a_job(tmp_path):
    for num in (10, 2, 1):
        make_job(tmp_path, num, [f"n={num}"], train_lines(1), eval_metrics(1, 1, 1, 1, 1.0, 1.0))
    (tmp_path / "report").mkdir()
    assert [j.name for j in read_sweep(tmp_path)] == ["1", "2", "10"]


def test_malformed_files_give_failed_rows_not_exceptions(tmp_path):
    job = make_job(tmp_path, 0, ["a=1"], lines=None)
    (job / "eval").mkdir()
    (job / "eval" / "metrics.json").write_text("{not json")
    (job / ".hydra" / "overrides.yaml").write_text(": [unbalanced")
    bare = make_job(tmp_path, 1, ["a=2"], lines=[], evaluation={"metrics": "oops", "bitrate": None})
    (bare / "error.txt").write_text("\n\n")
    broken, empty = read_sweep(tmp_path)
    assert broken.error.startswith("unreadable eval/metrics.json") and broken.overrides == []
    assert empty.error == "failed (empty error.txt)" and empty.eval_metrics == {} and empty.train == {}


def test_error_txt_beats_missing_eval_as_the_reason(tmp_path):
    make_job(tmp_path, 0, ["a=1"], train_lines(1), error="Traceback...\nRuntimeError: CUDA out of memory\n")
    assert read_sweep(tmp_path)[0].error == "RuntimeError: CUDA out of memory"


def test_resolve_sweep_dir_picks_newest_sweep_under_a_parent(tmp_path):
    old = make_sweep(tmp_path / "a")
    new = make_sweep(tmp_path / "b")
    os.utime(old / "multirun.yaml", (1_000_000, 1_000_000))
    assert resolve_sweep_dir(tmp_path) == new
    assert resolve_sweep_dir(old) == old


def test_resolve_sweep_dir_errors_name_the_expected_layout(tmp_path):
    with pytest.raises(FileNotFoundError, match="overrides.yaml"):
        resolve_sweep_dir(tmp_path)
    with pytest.raises(FileNotFoundError, match="not a directory"):
        resolve_sweep_dir(tmp_path / "missing")


def test_single_run_dir_is_one_job(tmp_path):
    run = make_job(tmp_path, 0, ["quantizer=fsq"], train_lines(1), eval_metrics(1, 1, 1, 1, 500.0, 480.0))
    (job,) = read_sweep(resolve_sweep_dir(run))
    assert job.ok and job.choices == {"quantizer": "fsq"}


def test_sweep_info_reads_grid_and_params(tmp_path):
    info = sweep_info(make_sweep(tmp_path, ablation="codebook_size"))
    assert info["ablation"] == "codebook_size" and info["params"] == {"quantizer": "rvq,vq,fsq,dac_rvq"}
    assert sweep_info(tmp_path) == {"ablation": None, "preset": None, "params": {}}


def test_nan_and_non_numeric_values_are_kept_out_of_curves(tmp_path):
    rows = [
        {"step": 1, "split": "train", "loss/total": float("nan"), "mel": "n/a"},
        {"step": 2, "split": "train", "loss/total": 2.0, "mel": 1.0},
    ]
    job_dir = tmp_path / "0"
    job_dir.mkdir()
    (job_dir / "metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    (job,) = read_sweep(tmp_path)
    assert job.curves == {"loss/total": [(2, 2.0)], "mel": [(2, 1.0)]}
