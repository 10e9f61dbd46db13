"""Accelerate set-up: the one place the Accelerator (device, processes, mixed precision) is made."""

from __future__ import annotations

from pathlib import Path

from accelerate import Accelerator
from accelerate.utils import DistributedDataParallelKwargs, broadcast_object_list


def make_accelerator(cpu: bool, mixed_precision: str, find_unused_parameters: bool = True) -> Accelerator:
    """cpu: force CPU; mixed_precision: "no" | "bf16" | "fp16" (fp16 adds a dynamic GradScaler);
    find_unused_parameters: DDP's flag (a quantizer may leave codebooks without gradient on a step)."""
    ddp = DistributedDataParallelKwargs(find_unused_parameters=bool(find_unused_parameters))
    return Accelerator(cpu=bool(cpu), mixed_precision=str(mixed_precision), kwargs_handlers=[ddp])


def shared_run_dir(acc: Accelerator, run_dir) -> Path:
    """run_dir (Hydra's output dir) as seen by rank 0: with torchrun each process has its own Hydra output
    dir (timestamps may differ by a second), but a run must write to one place. Created if absent."""
    holder = [str(run_dir) if acc.is_main_process else None]
    if acc.num_processes > 1:
        broadcast_object_list(holder, from_process=0)
    path = Path(holder[0])
    path.mkdir(parents=True, exist_ok=True)
    return path
