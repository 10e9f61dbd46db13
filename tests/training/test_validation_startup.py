"""validation.py's promise holds: a val metric that cannot be loaded fails the start-up checks (a
ConfigError naming trainer.val_metrics), before the run directory or any model exists."""

import sys

import pytest

from src.build.config_checks import ConfigError, check_config
from src.train import _train_and_score
from tests.training.helpers import toy_config


def test_an_unloadable_metric_fails_at_start_up(tmp_path, monkeypatch):
    monkeypatch.delitem(sys.modules, "src.metrics.stoi", raising=False)
    monkeypatch.setitem(sys.modules, "src.metrics.stoi", None)  # `import src.metrics.stoi` now fails
    run_dir = tmp_path / "run"
    cfg = toy_config(run_dir, "trainer.val_metrics=[mel_distance,stoi]")
    with pytest.raises(ConfigError, match=r"trainer\.val_metrics=.*stoi"):
        _train_and_score(cfg, multirun=False)
    assert not run_dir.exists()


def test_loadable_metrics_pass(tmp_path):
    check_config(toy_config(tmp_path, "trainer.val_metrics=[mel_distance,stoi]"))
