"""Regression guard: `preset=demo` (the frame-rate codec `make demo` trains) learns as fast as it did.

Not a timing test: a fixed number of steps on the embedded demo corpus, then the validation figures the
Trainer writes. The thresholds leave a margin over what the preset reached when this test was written
(step 500 of a 1,500-step run: validation mel loss 0.81 and mel distance 0.18; a 500-step run anneals its
learning rate by then, so it should do at least as well).
"""

import json
import subprocess
import sys

import pytest

from tests.training.helpers import ROOT

STEPS = 500
MAX_VALID_MEL_LOSS = 0.95  # the preset's multi-scale mel (5 scales) on the validation split
MAX_VALID_MEL_DISTANCE = 0.22  # the suite's mel distance on `trainer.val_items` clips


@pytest.mark.slow  # ~2-4 min on 2 CPU cores
def test_demo_preset_reaches_its_validation_mel_distance(tmp_path):
    args = [
        "preset=demo",
        f"trainer.max_steps={STEPS}",
        f"trainer.val_every={STEPS}",
        f"trainer.checkpoint_every={STEPS}",
        "trainer.demo_every=0",
        "trainer.val_metrics=[mel_distance]",
        "logger.wandb.enabled=false",
        "logger.tensorboard.enabled=false",
        "logger.progress_bar=false",
        f"hydra.run.dir={tmp_path}",
    ]
    done = subprocess.run(
        [sys.executable, "-m", "src.train", *args], cwd=ROOT, capture_output=True, text=True, timeout=1800, check=False
    )
    assert done.returncode == 0, done.stderr[-3000:]
    rows = [json.loads(line) for line in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    valid = [r for r in rows if r.get("split") == "valid" and r["step"] == STEPS]
    assert valid, f"no validation row at step {STEPS}"
    assert valid[-1]["loss/mel"] < MAX_VALID_MEL_LOSS, valid[-1]
    assert valid[-1]["mel_distance"] < MAX_VALID_MEL_DISTANCE, valid[-1]
