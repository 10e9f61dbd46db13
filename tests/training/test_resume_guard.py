"""A command never destroys a run already written: trainer.resume=none (or a rewind to an older checkpoint)
in a run directory that holds checkpoints is refused before anything is written (DESIGN.md failure policy)."""

import hashlib
import subprocess
import sys
from pathlib import Path

import pytest

from src.build import build_trainer
from src.training.checkpoint import list_checkpoints
from src.training.resume import RunDirInUse
from tests.training.helpers import ROOT, cli_args, toy_config


def snapshot(run_dir: Path) -> dict[str, str]:
    """Every file under run_dir -> SHA-256 of its bytes."""
    return {
        str(p.relative_to(run_dir)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(run_dir.rglob("*"))
        if p.is_file()
    }


def _train(*args):
    return subprocess.run(
        [sys.executable, "-m", "src.train", *args], cwd=ROOT, capture_output=True, text=True, timeout=300, check=False
    )


def test_cli_resume_none_on_an_existing_run_is_refused_and_changes_nothing(tmp_path):
    first = _train(*cli_args(tmp_path, "trainer.max_steps=3", "trainer.checkpoint_every=1"))
    assert first.returncode == 0, first.stderr[-3000:]
    before = snapshot(tmp_path)
    assert "codec.safetensors" in before and "metrics.jsonl" in before and ".hydra/overrides.yaml" in before
    again = _train(*cli_args(tmp_path, "trainer.max_steps=1", "trainer.resume=none"))
    assert again.returncode != 0
    err = again.stderr + again.stdout
    assert "trainer.resume=none" in err and "trainer.resume=auto" in err and str(tmp_path) in err, err[-2000:]
    assert snapshot(tmp_path) == before  # every file byte-identical, Hydra's .hydra/ included


def test_trainer_refuses_a_fresh_start_or_a_rewind_over_a_run(tmp_path):
    build_trainer(toy_config(tmp_path, "trainer.max_steps=2", "trainer.checkpoint_every=1")).fit()
    before = snapshot(tmp_path)
    with pytest.raises(RunDirInUse, match="trainer.resume=auto"):
        build_trainer(toy_config(tmp_path, "trainer.max_steps=1", "trainer.resume=none")).fit()
    older = list_checkpoints(tmp_path)[0]
    with pytest.raises(RunDirInUse, match="newest"):
        build_trainer(toy_config(tmp_path, "trainer.max_steps=3", f"trainer.resume={older}")).fit()
    assert snapshot(tmp_path) == before
    # an exported codec without checkpoints is a run too: a fresh start would overwrite it
    other = tmp_path / "exported_only"
    other.mkdir()
    (other / "codec.safetensors").write_bytes(b"weights of an earlier run")
    with pytest.raises(RunDirInUse, match="codec.safetensors"):
        build_trainer(toy_config(other, "trainer.max_steps=1")).fit()
    assert (other / "codec.safetensors").read_bytes() == b"weights of an earlier run"


def test_auto_continues_and_resume_none_in_a_new_dir_is_fine(tmp_path):
    build_trainer(toy_config(tmp_path / "a", "trainer.max_steps=1")).fit()
    summary = build_trainer(toy_config(tmp_path / "a", "trainer.max_steps=2")).fit()
    assert summary["resumed_from"].endswith("step_00000001") and summary["step"] == 2
    assert build_trainer(toy_config(tmp_path / "b", "trainer.max_steps=1", "trainer.resume=none")).fit()["step"] == 1
