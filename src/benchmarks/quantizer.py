"""Benchmark: our EMA residual VQ against vector_quantize_pytorch.ResidualVQ (lucidrains), same inputs.

Times forward + backward + EMA update per training step (k-means init excluded by warm-up).
Run: `python -m src.bench quantizer [batch=16 frames=75 dim=128 n_codebooks=8 codebook_size=1024
steps=30 warmup=3 device=cpu threads=1 out=bench/quantizer.json]`. Needs the optional extra
`pip install vector-quantize-pytorch`.
"""

from __future__ import annotations

import json
import statistics
import time
from pathlib import Path

import torch

from src.benchmarks import parse_options
from src.quantizer.rvq import ResidualVQ

DEFAULTS = {
    "batch": 16,
    "frames": 75,
    "dim": 128,
    "n_codebooks": 8,
    "codebook_size": 1024,
    "kmeans_iters": 10,
    "steps": 30,
    "warmup": 3,
    "device": "cpu",
    "threads": 1,
    "out": "bench/quantizer.json",
}


def _time_steps(step, steps: int, warmup: int, device: str) -> list[float]:
    times = []
    for i in range(warmup + steps):
        if device.startswith("cuda"):
            torch.cuda.synchronize()
        t0 = time.perf_counter()
        step()
        if device.startswith("cuda"):
            torch.cuda.synchronize()
        if i >= warmup:
            times.append(time.perf_counter() - t0)
    return times


def build_pair(c: dict):
    from vector_quantize_pytorch import ResidualVQ as RefRVQ

    common = {"decay": 0.99, "kmeans_init": True, "kmeans_iters": c["kmeans_iters"]}
    ours = ResidualVQ(
        c["dim"],
        n_codebooks=c["n_codebooks"],
        codebook_size=c["codebook_size"],
        threshold_ema_dead=2,
        quantizer_dropout=0.0,
        commitment_weight=1.0,
        **common,
    )
    ref = RefRVQ(
        dim=c["dim"],
        num_quantizers=c["n_codebooks"],
        codebook_size=c["codebook_size"],
        threshold_ema_dead_code=2,
        commitment_weight=1.0,
        **common,
    )
    return ours.to(c["device"]).train(), ref.to(c["device"]).train()


def main(overrides: list[str] | None = None) -> dict:
    c = parse_options(DEFAULTS, overrides or [])
    torch.set_num_threads(c["threads"])
    torch.manual_seed(0)
    ours, ref = build_pair(c)
    z = torch.randn(c["batch"], c["dim"], c["frames"], device=c["device"])

    def step_ours():
        x = z.clone().requires_grad_(True)
        out = ours(x)
        (out.z_q.pow(2).mean() + sum(out.aux_losses.values())).backward()

    def step_ref():
        x = z.clone().requires_grad_(True)
        q, _, commit = ref(x.transpose(1, 2))  # lucidrains takes (B, N, D)
        (q.pow(2).mean() + commit.sum()).backward()

    t_ours = _time_steps(step_ours, c["steps"], c["warmup"], c["device"])
    t_ref = _time_steps(step_ref, c["steps"], c["warmup"], c["device"])
    result = {
        "settings": c,
        "ours_ms": 1e3 * statistics.median(t_ours),
        "reference_ms": 1e3 * statistics.median(t_ref),
        "reference": "vector_quantize_pytorch.ResidualVQ",
        "torch": torch.__version__,
    }
    result["ratio"] = result["ours_ms"] / result["reference_ms"]
    out = Path(c["out"])
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2))
    print(
        f"rvq step: ours {result['ours_ms']:.2f} ms, reference {result['reference_ms']:.2f} ms, "
        f"ratio {result['ratio']:.3f} (<= 1.0 required) -> {out}"
    )
    return result


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
