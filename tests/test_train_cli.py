"""`python -m src.train` behaves as a Hydra app: --help lists the groups, --cfg job prints the config,
and a short run writes the run directory that load_codec reads."""

import subprocess
import sys

import torch
import yaml

from src.build import load_codec
from tests.training.helpers import ROOT, TOY_TARGETS, cli_args


def _run(*args, timeout=240):
    return subprocess.run(
        [sys.executable, "-m", "src.train", *args],
        check=False,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_help_lists_groups_and_options(tmp_path):
    done = _run(*cli_args(tmp_path), "--help")
    assert done.returncode == 0, done.stderr[-2000:]
    assert "== Configuration groups ==" in done.stdout
    groups = dict(ln.split(": ", 1) for ln in done.stdout.split("== Config ==")[0].splitlines() if ": " in ln)
    for group, option in (
        ("loss", "balanced"),
        ("loss", "default"),
        ("optim", "adam"),
        ("trainer", "default"),
        ("logger", "default"),
    ):
        assert option in groups[group].split(", "), (group, groups.get(group))


def test_cfg_job_prints_composed_config(tmp_path):
    done = _run(*cli_args(tmp_path, "trainer.max_steps=7", "optim.generator.lr=3e-4"), "--cfg", "job")
    assert done.returncode == 0, done.stderr[-2000:]
    cfg = yaml.safe_load(done.stdout)
    assert cfg["trainer"]["max_steps"] == 7 and cfg["optim"]["generator"]["lr"] == 3e-4
    assert cfg["optim"]["generator"]["betas"] == [0.8, 0.99]
    assert cfg["encoder"]["_target_"].endswith("ToyEncoder") and not (tmp_path / "checkpoints").exists()


def test_run_writes_a_loadable_run_directory_with_loggers(tmp_path):
    done = _run(
        *cli_args(
            tmp_path,
            "trainer.max_steps=2",
            "trainer.demo_every=2",
            "logger.wandb.enabled=true",
            "logger.wandb.mode=offline",
            "logger.tensorboard.enabled=true",
        ),
        timeout=400,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert list((tmp_path / "wandb").glob("offline-run-*")), "no offline W&B run directory"
    assert list((tmp_path / "tensorboard").glob("events.out.tfevents.*")), "no TensorBoard event file"
    assert (tmp_path / "demos" / "step_00000002.png").stat().st_size > 1000
    codec = load_codec(tmp_path, trusted_targets=TOY_TARGETS)  # toy components: outside the allowlist
    wav = torch.randn(1, 1, 800)
    assert codec(wav).wav_hat.shape == wav.shape
