"""`python -m src.bench train` measures a config's training throughput and step time."""

import json

import pytest

from src.benchmarks.train import main
from tests.training.helpers import TOY_OVERRIDES


def test_step_time_and_throughput_are_written(tmp_path):
    out = tmp_path / "train.json"
    result = main(["mode=step_time", "steps=1", "warmup=0", "batch=2", "seconds=0.5", f"out={out}", *TOY_OVERRIDES])
    assert result["step_time_s"] > 0 and result["peak_memory_bytes"] > 0
    assert result["batch"] == "2 x 0.5 s"
    assert json.loads(out.read_text())["mode"] == "step_time"
    result = main(["steps=2", "warmup=0", f"out={out}", *TOY_OVERRIDES])
    assert result["audio_s_per_s"] > 0 and result["steps_per_s"] > 0


def test_snake_benchmark_compares_both_variants_on_the_same_codec(tmp_path):
    from src.benchmarks.snake import main as snake_main

    out = tmp_path / "snake.json"
    result = snake_main(["preset=demo_waveform", "batch=1", "seconds=0.2", "steps=1", "warmup=0", f"out={out}"])
    assert json.loads(out.read_text()) == result
    assert result["step_s_eager"] > 0 and result["step_s_function"] > 0
    # the demo codec is DAC-style (Snake everywhere): the function keeps clearly less for backward
    assert result["saved_ratio_function_over_eager"] < 0.8


def test_overfit_benchmark_fits_one_batch_with_the_trainer_step(tmp_path):
    from src.benchmarks.overfit import main as overfit_main

    out = tmp_path / "overfit.json"
    result = overfit_main(["steps=12", "log_every=4", "optim.generator.lr=3e-3", f"out={out}", *TOY_OVERRIDES])
    assert json.loads(out.read_text()) == result
    assert [p["step"] for p in result["curve"]] == [1, 4, 8, 12]
    assert result["final"]["mel"] < 0.9 * result["curve"][0]["mel"]  # the same batch every step: it must fall
    assert result["params"] > 0 and len(result["batch_shape"]) == 3


@pytest.mark.slow
def test_compile_benchmark_times_eager_and_compiled_side_by_side(tmp_path):
    from src.benchmarks.compile import main as compile_main

    out = tmp_path / "compile.json"
    result = compile_main(
        ["preset=none", "backend=eager", "steps=2", "warmup=2", "batch=1", "seconds=0.25", f"out={out}", *TOY_OVERRIDES]
    )
    assert json.loads(out.read_text()) == result
    assert result["step_s_eager"] > 0 and result["step_s_compiled"] > 0 and result["compile_s"] > 0
    assert result["compiled_modules"][:4] == ["codec.encoder", "codec.quantizer", "codec.decoder", "codec.head"]
    assert result["graph_breaks_warmup"] == 0 and result["graph_breaks_after_warmup"] == 0
    assert result["recompiles_after_warmup"] == 0
