"""A real grid end to end on CPU: `ablation=codebook_size preset=tiny`, one step per job, each job
evaluated by the suite, then the sweep report and the compare_runs notebook; a failing job is recorded
and makes the sweep (and `make ablate`) exit non-zero."""

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.test_notebooks import execute, outputs_text

ROOT = Path(__file__).resolve().parents[1]
FAST = [
    "trainer.max_steps=1",
    "trainer.val_every=0",
    "trainer.demo_every=0",
    "trainer.val_metrics=[]",
    "logger.wandb.enabled=false",
    "logger.tensorboard.enabled=false",
    "logger.progress_bar=false",
    "post_eval.max_items=3",
    "post_eval.metrics=fast",
    "post_eval.num_workers=0",
]


def run(args: list[str], **kw) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1", "WANDB_MODE": "offline"}
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, check=False, timeout=600, **kw
    )


@pytest.fixture(scope="module")
def tiny_sweep(tmp_path_factory) -> Path:
    sweep = tmp_path_factory.mktemp("sweeps") / "codebook_size"
    proc = run(["-m", "src.train", "ablation=codebook_size", "preset=tiny", *FAST, f"hydra.sweep.dir={sweep}"])
    assert proc.returncode == 0, proc.stderr[-3000:]
    return sweep


def test_every_job_is_trained_and_evaluated(tiny_sweep):
    jobs = sorted(p for p in tiny_sweep.iterdir() if p.is_dir() and p.name.isdigit())
    assert len(jobs) == 3  # codebook_size: 1024, 4096, 8192
    sizes = set()
    for job in jobs:
        assert (job / "codec.safetensors").exists() and not (job / "error.txt").exists()
        result = json.loads((job / "eval" / "metrics.json").read_text())
        assert result["metrics"]["mel_distance"]["n"] == 3
        sizes.add(round(result["bitrate"]["bitrate_nominal"]))
    assert sizes == {500, 600, 650}  # 50 Hz x log2(1024 / 4096 / 8192)


def test_report_has_a_row_per_job_and_plots(tiny_sweep):
    proc = run(["-m", "src.report", str(tiny_sweep)])
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = tiny_sweep / "report"
    rows = list(csv.DictReader((out / "report.csv").open()))
    assert sorted(r["quantizer.codebook_size"] for r in rows) == ["1024", "4096", "8192"]
    assert all(r.get("eval/mel_distance") for r in rows)  # eval columns carry the eval/ prefix
    assert (out / "bitrate_vs_quality.png").stat().st_size > 0 and (out / "training_curves.png").exists()


def test_compare_runs_notebook_reads_the_sweep(tiny_sweep):
    text = outputs_text(execute("compare_runs.ipynb", {"SWEEP_DIR": str(tiny_sweep)}))
    assert "3 jobs; swept: ['quantizer.codebook_size']" in text and "failed jobs: []" in text


def test_a_failing_job_writes_error_txt_and_the_sweep_goes_on(tmp_path):
    sweep = tmp_path / "sweep"
    proc = run(
        [
            "-m",
            "src.train",
            "-m",
            "preset=tiny",
            "quantizer.codebook_size=0,16",
            *FAST,
            "post_eval.enabled=false",
            f"hydra.sweep.dir={sweep}",
        ]
    )
    assert proc.returncode != 0  # the grid went on, but the sweep reports that a job failed
    assert "1 of 2 job(s) failed (jobs 0)" in proc.stderr, proc.stderr[-3000:]
    assert "codebook_size" in (sweep / "0" / "error.txt").read_text()
    assert (sweep / "1" / "codec.safetensors").exists()


# +quantizer.bogus=1 fails inside every job (an unexpected argument when the quantizer is built)
FAILING_GRID = ["ablation=codebook_size", "preset=tiny", "+quantizer.bogus=1", *FAST, "post_eval.enabled=false"]


def test_a_grid_whose_jobs_all_fail_exits_non_zero(tmp_path):
    sweep = tmp_path / "sweep"
    proc = run(["-m", "src.train", *FAILING_GRID, f"hydra.sweep.dir={sweep}"])
    assert proc.returncode != 0
    assert "3 of 3 job(s) failed (jobs 0, 1, 2)" in proc.stderr, proc.stderr[-3000:]
    assert all("bogus" in (sweep / str(i) / "error.txt").read_text() for i in range(3))


@pytest.mark.slow  # two make runs of a 3-job grid: ~1 min each on 2 shared cores
@pytest.mark.parametrize("where", ["SWEEP_DIR", "ARGS"])
def test_make_ablate_fails_and_writes_its_report_in_the_users_sweep_dir(tmp_path, where):
    sweep = tmp_path / f"from_{where}"
    args = " ".join(FAILING_GRID[2:])
    chosen = (
        [f"SWEEP_DIR={sweep}", f"ARGS={args}"] if where == "SWEEP_DIR" else [f"ARGS={args} hydra.sweep.dir={sweep}"]
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1", "WANDB_MODE": "offline"}
    proc = subprocess.run(
        ["make", "-o", "setup", "ablate", f"PYTHON={sys.executable}", "GRID=codebook_size", "PRESET=tiny", *chosen],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert proc.returncode != 0
    assert f"ablate: report in {sweep}/report/" in proc.stdout, proc.stdout[-2000:] + proc.stderr[-2000:]
    report = (sweep / "report" / "report.md").read_text()
    assert "- jobs: 3 (0 ok, 3 failed)" in report and "bogus" in report
