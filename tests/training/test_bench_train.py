"""`python -m src.bench train` measures a config's training throughput and step time."""
import json

from src.benchmarks.train import main
from tests.training.helpers import TOY_OVERRIDES


def test_step_time_and_throughput_are_written(tmp_path):
    out = tmp_path / "train.json"
    result = main(["mode=step_time", "steps=1", "warmup=0", f"out={out}", *TOY_OVERRIDES])
    assert result["step_time_s"] > 0 and result["peak_memory_bytes"] > 0
    assert json.loads(out.read_text())["mode"] == "step_time"
    result = main(["steps=2", "warmup=0", f"out={out}", *TOY_OVERRIDES])
    assert result["audio_s_per_s"] > 0 and result["steps_per_s"] > 0
