"""A run stopped at step N and resumed equals an uninterrupted run, bitwise on CPU with a fixed seed."""

import json

import torch

from src.build import build_trainer
from src.training.checkpoint import list_checkpoints, read_checkpoint
from tests.training.helpers import assert_same_state, toy_config

# warm-up ends and an epoch ends (8 batches of 2 per epoch, 2 per step -> 4 steps) inside the run;
# EMA, accumulation and the adversarial start all cross the resume point at step 3.
COMMON = (
    "trainer.use_ema=true",
    "trainer.warmup_steps=2",
    "trainer.grad_accum_steps=2",
    "trainer.checkpoint_every=3",
    "optim.scheduler.warmup_steps=2",
)


def test_resumed_run_matches_uninterrupted(tmp_path):
    full = build_trainer(toy_config(tmp_path / "full", "trainer.max_steps=6", *COMMON))
    full.fit()
    build_trainer(toy_config(tmp_path / "split", "trainer.max_steps=3", *COMMON)).fit()
    resumed = build_trainer(toy_config(tmp_path / "split", "trainer.max_steps=6", *COMMON))
    summary = resumed.fit()
    assert summary["resumed_from"].endswith("step_00000003")
    assert (resumed.epoch, resumed.step) == (full.epoch, full.step) == (1, 6)
    assert_same_state(full.codec_raw.state_dict(), resumed.codec_raw.state_dict())
    assert_same_state(full.discs_raw.state_dict(), resumed.discs_raw.state_dict())
    assert_same_state(full.ema.shadow.state_dict(), resumed.ema.shadow.state_dict())
    a = read_checkpoint(list_checkpoints(tmp_path / "full")[-1], 0)["objects"]
    b = read_checkpoint(list_checkpoints(tmp_path / "split")[-1], 0)["objects"]
    for key in ("opt_g", "opt_d"):
        for pid, st in a[key]["state"].items():
            assert torch.equal(st["exp_avg_sq"], b[key]["state"][pid]["exp_avg_sq"])
    assert a["sched_g"]["last_epoch"] == b["sched_g"]["last_epoch"] == 6
    # metrics.jsonl of the resumed run has each train step once
    rows = [json.loads(ln) for ln in (tmp_path / "split" / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in rows if r["split"] == "train"] == list(range(1, 7))
