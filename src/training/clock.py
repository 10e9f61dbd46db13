"""When the loop does what: periodic duties, the wall-clock budget (trainer.max_minutes), the progress bar."""

from __future__ import annotations

import time

import torch


def due(step: int, every, last: bool) -> bool:
    """A duty run every `every` steps (0 / None = only at the end) is due at `step`."""
    every = int(every or 0)
    return last or (every > 0 and step % every == 0)


def budget_spent(acc, start: float, max_seconds: float | None) -> bool:
    """Collective: is the wall-clock budget spent? Each rank reads its own clock, and the flags are summed
    so that every rank stops at the same step (a rank that stopped alone would hang DDP)."""
    if max_seconds is None:
        return False
    over = torch.tensor([float(time.perf_counter() - start >= max_seconds)], device=acc.device)
    return float(acc.reduce(over, reduction="sum")) > 0.0


def progress_bar(acc, enabled: bool, max_steps: int, step: int):
    """A tqdm bar on the main process when logger.progress_bar, else None."""
    if not (acc.is_main_process and enabled):
        return None
    from tqdm.auto import tqdm

    return tqdm(total=max_steps, initial=step, desc="train", dynamic_ncols=True)
