"""trainer.max_minutes: the run stops at the first step past the wall-clock budget, checkpoints, exports,
logs why, and resumes from there."""

import logging

import pytest

from src.build import build_trainer, load_codec
from src.training.checkpoint import list_checkpoints
from tests.training.helpers import TOY_TARGETS, toy_config

FAR = 100_000  # a max_steps the toy run cannot reach within the budget


def test_time_budget_stops_early_with_checkpoint_export_and_log_line(tmp_path, caplog):
    cfg = toy_config(tmp_path, f"trainer.max_steps={FAR}", "trainer.max_minutes=0.01")  # 0.6 s
    with caplog.at_level(logging.INFO, logger="src.training.trainer"):
        summary = build_trainer(cfg).fit()
    n = summary["step"]
    assert 0 < n < FAR and summary["stopped_on"] == "max_minutes"
    assert 0.6 <= summary["step_seconds"] <= summary["train_seconds"] and summary["start_step"] == 0
    assert [p.name for p in list_checkpoints(tmp_path)] == [f"step_{n:08d}"]
    assert load_codec(tmp_path, trusted_targets=TOY_TARGETS).sample_rate == 8000  # codec.safetensors + config.yaml
    assert f"stopped on the time budget (trainer.max_minutes=0.01): step {n} of max_steps {FAR}" in caplog.text

    # the budget-stop checkpoint resumes like any other: two more steps, no budget this time
    resumed = build_trainer(toy_config(tmp_path, f"trainer.max_steps={n + 2}")).fit()
    assert resumed["resumed_from"].endswith(f"step_{n:08d}")
    assert (resumed["start_step"], resumed["step"], resumed["stopped_on"]) == (n, n + 2, "max_steps")


def test_max_steps_reached_within_the_budget_is_reported_as_such(tmp_path):
    summary = build_trainer(toy_config(tmp_path, "trainer.max_steps=2", "trainer.max_minutes=30")).fit()
    assert (summary["step"], summary["stopped_on"]) == (2, "max_steps")


def test_nonpositive_budget_is_refused_naming_the_key(tmp_path):
    with pytest.raises(ValueError, match="trainer.max_minutes=0"):
        build_trainer(toy_config(tmp_path, "trainer.max_minutes=0"))
