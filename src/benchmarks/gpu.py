"""`python -m src.bench gpu [presets=dac_16khz,encodec_24khz,demo] [steps=20] [warmup=3] [batch=8]
[seconds=1] [device=auto] [size=full|tiny] [ddp=1] [compile=1] [out=path]`: a prepared script (<5 min on one GPU).

Per preset: generator training steps/s and audio seconds per second (forward, waveform L1 + quantizer
losses, backward, Adam), fp32 eager against bf16 autocast + torch.compile, with the peak
torch.cuda.max_memory_allocated; with two or more GPUs, the same step under 2-process DDP (NCCL).
device=auto picks CUDA when present, else CPU (size=tiny there keeps it to seconds, for the test).
"""

from __future__ import annotations

import json
import os
import time
from contextlib import nullcontext
from pathlib import Path

import torch

from src.benchmarks import parse_options

BENCH_KEYS = {
    "presets": "dac_16khz,encodec_24khz,demo",
    "steps": 20,
    "warmup": 3,
    "batch": 8,
    "seconds": 1.0,
    "device": "auto",
    "size": "full",
    "ddp": 1,
    "compile": 1,  # 0 turns them off
    "out": "experiments/measured/gpu.json",
}
TINY = {
    "dac_16khz": ["encoder.d_model=4", "latent_dim=64", "decoder.channels=32", "quantizer.n_codebooks=2"],
    "encodec_24khz": ["encoder.n_filters=4", "decoder.n_filters=4", "latent_dim=16", "quantizer.n_codebooks=2"],
    "demo": ["encoder.dim=16", "encoder.intermediate_dim=32", "decoder.dim=16", "decoder.intermediate_dim=32"],
}


def _codec(preset: str, size: str, device: torch.device):
    from src.build import build_codec
    from src.compose import compose_train_config

    torch.manual_seed(0)
    extra = TINY.get(preset, []) if size == "tiny" else []
    return build_codec(compose_train_config([f"preset={preset}", *extra])).to(device).train()


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def run_steps(codec, wav: torch.Tensor, steps: int, warmup: int, fast: bool, compile_: bool = True) -> float:
    """-> seconds per generator step after warm-up; fast = bf16 autocast (+ torch.compile if compile_)."""
    device = wav.device
    model = torch.compile(codec) if fast and compile_ else codec
    opt = torch.optim.Adam(codec.parameters(), lr=1e-4)
    autocast = torch.autocast(device.type, dtype=torch.bfloat16) if fast else nullcontext()
    for i in range(warmup + steps):
        if i == warmup:
            _sync(device)
            start = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        with autocast:
            out = model(wav)
            loss = (out.wav_hat.float() - wav).abs().mean() + sum(v.float() for v in out.aux_losses.values())
        loss.backward()
        opt.step()
    _sync(device)
    return (time.perf_counter() - start) / steps


def _measure(preset: str, opts: dict, device: torch.device) -> list[dict]:
    rows = []
    for fast in (False, True):
        codec = _codec(preset, opts["size"], device)
        wav = (
            torch.randn(opts["batch"], codec.channels, round(opts["seconds"] * codec.sample_rate), device=device) * 0.1
        )
        if device.type == "cuda":
            torch.cuda.reset_peak_memory_stats(device)
        step = run_steps(codec, wav, opts["steps"], opts["warmup"], fast, opts["compile"])
        mode = ("bf16+compile" if opts["compile"] else "bf16") if fast else "fp32 eager"
        rows.append(
            {
                "preset": preset,
                "mode": mode,
                "step_s": step,
                "steps_per_s": 1 / step,
                "audio_s_per_s": opts["batch"] * opts["seconds"] / step,
                "peak_memory_bytes": torch.cuda.max_memory_allocated(device) if device.type == "cuda" else None,
            }
        )
    rows[1]["speedup"] = rows[0]["step_s"] / rows[1]["step_s"]
    return rows


def _ddp_worker(rank: int, world: int, preset: str, opts: dict, port: int, queue) -> None:
    import torch.distributed as dist

    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    dist.init_process_group("nccl", rank=rank, world_size=world)
    device = torch.device("cuda", rank)
    torch.cuda.set_device(device)
    codec = _codec(preset, opts["size"], device)
    ddp = torch.nn.parallel.DistributedDataParallel(codec, device_ids=[rank], find_unused_parameters=True)
    ddp.sample_rate, ddp.channels = codec.sample_rate, codec.channels
    wav = torch.randn(opts["batch"], codec.channels, round(opts["seconds"] * codec.sample_rate), device=device)
    step = run_steps(ddp, wav * 0.1, opts["steps"], opts["warmup"], fast=False)
    if rank == 0:
        queue.put(step)
    dist.destroy_process_group()


def _ddp(preset: str, opts: dict) -> dict:
    import torch.multiprocessing as mp

    ctx = mp.get_context("spawn")
    queue = ctx.SimpleQueue()
    mp.spawn(_ddp_worker, args=(2, preset, opts, 29500 + os.getpid() % 1000, queue), nprocs=2)
    step = queue.get()
    return {
        "preset": preset,
        "mode": "fp32 eager, 2-process DDP",
        "step_s": step,
        "steps_per_s": 1 / step,
        "audio_s_per_s": 2 * opts["batch"] * opts["seconds"] / step,
    }


def main(overrides: list[str]) -> dict:
    opts = parse_options(BENCH_KEYS, overrides)
    name = opts["device"]
    device = torch.device(("cuda" if torch.cuda.is_available() else "cpu") if name == "auto" else name)
    result = {
        "device": torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu",
        "batch": f"{opts['batch']} x {opts['seconds']:g} s",
        "size": opts["size"],
        "rows": [],
    }
    for preset in opts["presets"].split(","):
        result["rows"].extend(_measure(preset, opts, device))
        if opts["ddp"] and device.type == "cuda" and torch.cuda.device_count() >= 2:
            result["rows"].append(_ddp(preset, opts))
    out = Path(opts["out"])
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2))
    return result
