"""trainer.mixed_precision=bf16 keeps the codebooks: preset=tiny trained a few steps in bf16 and in fp32 from
the same start has finite losses and weights, and codebook utilization within 10 % of fp32's, for the EMA
RVQ (the preset's), DAC's factorized RVQ and FSQ."""

from __future__ import annotations

import math
import tempfile

import pytest
import torch
from accelerate.state import AcceleratorState

from src.benchmarks import compose_bench_config
from src.build import build_trainer

QUANTIZERS = {
    "rvq": [],
    "dac_rvq": [
        "quantizer=dac_rvq",
        "quantizer.n_codebooks=4",
        "quantizer.codebook_size=256",
        "quantizer.quantizer_dropout=0.0",
    ],
    "fsq": ["quantizer=fsq"],
}
STEPS = 6


def train_tiny(precision: str, overrides: list[str], steps: int = STEPS) -> tuple[dict, dict]:
    """preset=tiny trained `steps` steps (batch 4 x 0.64 s of the demo corpus) -> (run facts, last logs)."""
    AcceleratorState._reset_state(True)  # the Accelerator's precision is process-wide state
    try:
        with tempfile.TemporaryDirectory() as run_dir:
            cfg = compose_bench_config(
                [
                    "preset=tiny",
                    f"trainer.mixed_precision={precision}",
                    "trainer.cpu=true",
                    "data.batch_size=4",
                    "data.segment_seconds=0.64",
                    *overrides,
                ],
                run_dir,
            )
            trainer = build_trainer(cfg)
            batches = trainer._batches()
            for _ in range(steps):
                logs = trainer.train_step([next(batches)])
                trainer._after_step(logs)
            codec = trainer.codec_raw
            tensors = [*codec.parameters(), *(b for b in codec.buffers() if b.is_floating_point())]
            facts = {
                "precision": trainer.acc.mixed_precision,
                "nonfinite": trainer.nonfinite_total,
                "finite_state": all(bool(torch.isfinite(t).all()) for t in tensors),
            }
            return facts, logs
    finally:
        AcceleratorState._reset_state(True)


def mean_utilization(logs: dict) -> float:
    values = [float(v) for k, v in logs.items() if k.startswith("metrics/vq/utilization/")]
    assert values, "no utilization logged"
    return sum(values) / len(values)


@pytest.mark.slow
@pytest.mark.parametrize("quantizer", list(QUANTIZERS))
def test_bf16_training_keeps_codebook_utilization(quantizer):
    fp32, logs32 = train_tiny("no", QUANTIZERS[quantizer])
    bf16, logs16 = train_tiny("bf16", QUANTIZERS[quantizer])
    assert bf16["precision"] == "bf16" and fp32["precision"] == "no"
    assert fp32["nonfinite"] == 0 and bf16["nonfinite"] == 0 and bf16["finite_state"]
    assert all(math.isfinite(float(v)) for v in logs16.values())
    assert float(logs16["loss/total"]) != float(logs32["loss/total"])  # autocast did change the arithmetic
    u32, u16 = mean_utilization(logs32), mean_utilization(logs16)
    assert abs(u16 - u32) <= 0.1 * u32, f"{quantizer}: utilization fp32 {u32:.3f}, bf16 {u16:.3f}"
