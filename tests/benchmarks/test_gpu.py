"""`python -m src.bench gpu` runs on CPU at tiny sizes (device=cpu), with its JSON."""

import json

import pytest

from src.benchmarks import gpu

ARGS = ["presets=demo", "steps=2", "warmup=1", "batch=2", "seconds=0.25", "size=tiny", "device=cpu"]


def _check(result, out, fast_mode):
    assert json.loads(out.read_text())["device"] == "cpu"
    assert [r["mode"] for r in result["rows"]] == ["fp32 eager", fast_mode]
    for row in result["rows"]:
        assert row["step_s"] > 0 and row["audio_s_per_s"] == pytest.approx(2 * 0.25 / row["step_s"])
    assert result["rows"][1]["speedup"] > 0


def test_gpu_bench_on_cpu_bf16(tmp_path):
    out = tmp_path / "gpu.json"
    _check(gpu.main([*ARGS, "compile=0", f"out={out}"]), out, "bf16")


@pytest.mark.slow
def test_gpu_bench_on_cpu_bf16_compile(tmp_path):
    """With torch.compile (minutes of C++ compilation on a small CPU)."""
    out = tmp_path / "gpu.json"
    _check(gpu.main([*ARGS, f"out={out}"]), out, "bf16+compile")
