"""Runs as subprocesses: two processes under torchrun (gloo), and a SIGKILL during a checkpoint write."""

import json
import os
import signal
import socket
import subprocess
import sys
import time

import pytest
import torch

from src.training.checkpoint import WRITE_DELAY_ENV, list_checkpoints
from tests.training.helpers import ROOT, cli_args

pytestmark = pytest.mark.distributed


def _env(**extra):
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(ROOT), **extra}
    env.pop(WRITE_DELAY_ENV, None)
    env.update(extra)
    return env


def _free_port() -> str:
    with socket.socket() as s:  # the machine is shared: a fixed port may be taken by another test run
        s.bind(("127.0.0.1", 0))
        return str(s.getsockname()[1])


def test_two_processes_stay_in_sync(tmp_path):
    cmd = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--nproc_per_node",
        "2",
        "--master_port",
        _free_port(),
        "-m",
        "src.train",
        *cli_args(tmp_path, "trainer.max_steps=3", "trainer.checkpoint_every=2"),
    ]
    done = subprocess.run(cmd, check=False, cwd=ROOT, env=_env(), capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["world_size"] == 2 and len(summary["rank_digests"]) == 2
    assert summary["ranks_in_sync"], summary["rank_digests"]
    ckpt = list_checkpoints(tmp_path)[-1]
    assert {p.name for p in ckpt.glob("rng_rank*.pt")} == {"rng_rank0.pt", "rng_rank1.pt"}
    r0, r1 = (torch.load(ckpt / f"rng_rank{r}.pt", weights_only=True)["torch"] for r in (0, 1))
    assert not torch.equal(r0, r1)  # each rank has its own random stream


def test_two_processes_stop_on_the_time_budget_at_the_same_step(tmp_path):
    cmd = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--nproc_per_node",
        "2",
        "--master_port",
        _free_port(),
        "-m",
        "src.train",
        *cli_args(tmp_path, "trainer.max_steps=100000", "trainer.max_minutes=0.02"),
    ]
    done = subprocess.run(cmd, check=False, cwd=ROOT, env=_env(), capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]  # a rank that stopped alone would hang, then time out
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["stopped_on"] == "max_minutes" and 0 < summary["step"] < 100000
    assert summary["ranks_in_sync"], summary["rank_digests"]
    assert [p.name for p in list_checkpoints(tmp_path)] == [f"step_{summary['step']:08d}"]
    assert "stopped on the time budget" in (tmp_path / "train.log").read_text()


def test_two_processes_resume_in_sync_and_say_so_once(tmp_path):
    cmd = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--nproc_per_node",
        "2",
        "--master_port",
        _free_port(),
        "-m",
        "src.train",
        *cli_args(tmp_path, "trainer.max_steps=2", "trainer.checkpoint_every=2"),
    ]
    first = subprocess.run(cmd, check=False, cwd=ROOT, env=_env(), capture_output=True, text=True, timeout=300)
    assert first.returncode == 0, first.stderr[-3000:]
    done = subprocess.run(
        [*cmd, "trainer.max_steps=3"], check=False, cwd=ROOT, env=_env(), capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert (done.stdout + done.stderr).count("resumed from") == 1  # once per run, not once per process
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["step"] == 3 and summary["ranks_in_sync"], summary


def test_sigkill_during_checkpoint_write_resumes_from_previous(tmp_path):
    args = cli_args(tmp_path, "trainer.max_steps=4", "trainer.checkpoint_every=2")
    cmd = [sys.executable, "-m", "src.train", *args]
    proc = subprocess.Popen(
        cmd,
        cwd=ROOT,
        env=_env(**{WRITE_DELAY_ENV: "4:120"}),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    partial = tmp_path / "checkpoints" / ".tmp-step_00000004" / "state.json"
    deadline = time.time() + 240
    while not partial.exists() and proc.poll() is None and time.time() < deadline:
        time.sleep(0.2)
    assert partial.exists(), proc.stderr.read()[-3000:] if proc.poll() is not None else "timed out"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert [p.name for p in list_checkpoints(tmp_path)] == ["step_00000002"]
    done = subprocess.run(cmd, check=False, cwd=ROOT, env=_env(), capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["resumed_from"].endswith("step_00000002") and summary["step"] == 4
    assert [p.name for p in list_checkpoints(tmp_path)] == ["step_00000002", "step_00000004"]
    assert not list((tmp_path / "checkpoints").glob(".tmp-*"))
