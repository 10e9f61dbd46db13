"""Checkpoints: atomic directories, keep-last-K, resume resolution, safe loading, RNG round trip."""

import json
import random

import numpy as np
import pytest
import torch

from src.training.checkpoint import (
    MANIFEST,
    CheckpointWriter,
    CorruptCheckpoint,
    capture_rng,
    list_checkpoints,
    read_checkpoint,
    resolve_resume,
    restore_rng,
    sha256_of,
)


class _SingleProcess:
    is_main_process, process_index = True, 0

    def wait_for_everyone(self):
        pass


def _save(run_dir, step, keep_last=2):
    writer = CheckpointWriter(run_dir, keep_last, _SingleProcess())
    return writer.save(
        step,
        {"codec": {"w": torch.full((3,), float(step))}},
        {"opt_g": {"state": {}, "param_groups": [{"lr": 1e-4, "betas": (0.8, 0.99)}]}},
        {"step": step, "world_size": 1},
    )


def test_keep_last_and_auto_resume_pick_newest_complete(tmp_path):
    for step in (1, 2, 3):
        _save(tmp_path, step)
    assert [p.name for p in list_checkpoints(tmp_path)] == ["step_00000002", "step_00000003"]
    # an incomplete newer one (killed mid-write) is ignored, and removed by the next save
    partial = tmp_path / "checkpoints" / ".tmp-step_00000004"
    partial.mkdir()
    (partial / "codec.safetensors").write_bytes(b"garbage")
    no_manifest = tmp_path / "checkpoints" / "step_00000005"
    no_manifest.mkdir()
    assert resolve_resume("auto", tmp_path).name == "step_00000003"
    assert resolve_resume("none", tmp_path) is None
    assert resolve_resume(str(tmp_path), tmp_path).name == "step_00000003"
    assert resolve_resume(str(tmp_path / "checkpoints" / "step_00000002"), tmp_path).name == "step_00000002"
    with pytest.raises(FileNotFoundError, match="trainer.resume"):
        resolve_resume(str(no_manifest), tmp_path)
    _save(tmp_path, 6)
    assert not partial.exists()


def test_read_back_is_exact_and_needs_no_pickled_code(tmp_path):
    path = _save(tmp_path, 7)
    ckpt = read_checkpoint(path, rank=0)
    assert torch.equal(ckpt["weights"]["codec"]["w"], torch.full((3,), 7.0))
    assert ckpt["objects"]["opt_g"]["param_groups"][0]["betas"] == (0.8, 0.99)
    assert ckpt["state"]["step"] == 7 and ckpt["rng"] is not None
    torch.save({"evil": _SingleProcess}, path / "optim.pt")  # a pickled class must be refused
    with pytest.raises(CorruptCheckpoint, match="optim.pt: SHA-256 differs"):
        read_checkpoint(path, rank=0)
    manifest = json.loads((path / MANIFEST).read_text())  # even with a manifest forged to match it
    manifest["files"]["optim.pt"] = {"size": (path / "optim.pt").stat().st_size, "sha256": sha256_of(path / "optim.pt")}
    (path / MANIFEST).write_text(json.dumps(manifest))
    with pytest.raises(CorruptCheckpoint, match="optim.pt.*[Ww]eights"):
        read_checkpoint(path, rank=0)


def test_rng_round_trip():
    state = capture_rng()
    first = (torch.rand(3), np.random.rand(3), random.random())
    restore_rng(state)
    second = (torch.rand(3), np.random.rand(3), random.random())
    assert torch.equal(first[0], second[0]) and np.array_equal(first[1], second[1]) and first[2] == second[2]
