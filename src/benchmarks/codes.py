"""`python -m src.bench codes [steps=150 log_every=10 probe_items=16 probe_seconds=1.6 out=bench/codes.json]
[hydra overrides]`: code usage and bottleneck statistics over training (a collapse detector).

Trains with the Trainer's own step (adversarial phase as configured) on the training data and, every
`log_every` steps, runs one eval-mode pass on a FIXED probe batch (the first `probe_items` valid utterances,
cropped to `probe_seconds`) and records: per-channel mean/std of the encoder output z, of each lookup's input
(after the quantizer's projection, and after l2 normalisation for factorized codebooks), FSQ's share of values
per level, per-codebook distinct codes and entropy, and the gradient that reaches z (mel loss through the
straight-through path, and the aux losses). Written to experiments/measured/codes_*.json for docs/collapse.md.
"""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path

import torch

from src.benchmarks import compose_bench_config, split_options
from src.benchmarks._code_stats import probe
from src.metrics.bitrate import nominal_bitrate

DEFAULTS = {"steps": 150, "log_every": 10, "probe_items": 16, "probe_seconds": 1.6, "out": "bench/codes.json"}


def probe_batch(dataset, items: int, samples: int) -> torch.Tensor:
    """(items, C, samples): the first `items` clips of `dataset`, each cropped to its first `samples`."""
    clips = []
    for i in range(min(items, len(dataset))):
        wav = dataset[i]["wav"]
        if wav.shape[-1] < samples:
            raise ValueError(f"bench codes: clip {i} has {wav.shape[-1]} samples < probe_seconds; lower it")
        clips.append(wav[..., :samples])
    if not clips:
        raise ValueError("bench codes: the valid split is empty")
    return torch.stack(clips)


def summary_row(step: int, row: dict, frame_rate: float) -> dict:
    """The few figures printed per log point; the full row stays in the JSON."""
    bits = sum(u["entropy_bits"] for u in row["usage"])
    return {
        "step": step,
        "mel": round(row["mel"], 4),
        "entropy_bps": round(bits * frame_rate, 1),
        "distinct": [u["distinct"] for u in row["usage"]],
        "z_rms": round(row["z"]["rms"], 4),
        "z_frame_std_over_rms": round(row["z"]["frame_std_over_rms"], 3),
        "st_ratio": round(row["grad"]["st_ratio"], 3),
    }


def main(overrides: list[str]) -> dict:
    from src.build import build_trainer

    opts, rest = split_options(DEFAULTS, overrides)
    steps, every = opts["steps"], opts["log_every"]
    with tempfile.TemporaryDirectory() as run_dir:
        cfg = compose_bench_config([*rest, f"trainer.max_steps={steps}"], run_dir)
        trainer = build_trainer(cfg)
        codec, device = trainer.codec_raw, trainer.acc.device
        wav = probe_batch(
            trainer.valid_set, opts["probe_items"], round(opts["probe_seconds"] * int(cfg.sample_rate))
        ).to(device)
        weights, frame_rate = dict(trainer.weights.weights), codec.frame_rate
        nominal = nominal_bitrate(frame_rate, codec.codebook_sizes())
        rows, printed, data = [], [], trainer._batches()
        out = Path(opts["out"])
        out.parent.mkdir(parents=True, exist_ok=True)
        result = {
            "overrides": rest,
            "steps": steps,
            "probe_shape": list(wav.shape),
            "frame_rate": frame_rate,
            "bitrate_nominal": nominal,
            "summary": printed,
            "rows": rows,
        }
        start = time.perf_counter()
        for step in range(steps + 1):
            if step > 0:
                trainer._after_step(trainer.train_step([next(data)]))
            if step % every == 0 or step == steps:
                row = {"step": step, **probe(codec, wav, trainer.recon, weights)}
                enc = [p.grad for p in codec.encoder.parameters() if p.grad is not None]
                row["grad"]["encoder_param_norm"] = float(torch.stack([g.norm() for g in enc]).norm()) if enc else 0.0
                rows.append(row)
                printed.append(summary_row(step, row, frame_rate))
                print(json.dumps(printed[-1]), flush=True)
                result["seconds"] = time.perf_counter() - start
                out.write_text(json.dumps(result, indent=1))  # after every point: a killed run keeps its curve
    return {k: v for k, v in result.items() if k != "rows"}
