"""Learning-rate schedules (built by src/build/optim.py): linear warm-up, then exponential decay (DAC),
cosine decay, or a constant rate."""

from __future__ import annotations

import math

SCHEDULES = ("exponential", "cosine", "constant")


class LRFactor:
    """step -> multiplier of the base LR. Linear warm-up over `warmup_steps` (first step at 1/warmup_steps),
    then: exponential gamma**(step - warmup); cosine from 1 to min_lr_ratio over the remaining steps;
    or constant 1."""

    def __init__(
        self,
        name: str = "exponential",
        warmup_steps: int = 0,
        gamma: float = 0.999996,
        min_lr_ratio: float = 0.0,
        max_steps: int = 1,
    ) -> None:
        if name not in SCHEDULES:
            raise ValueError(f"optim.scheduler.name={name!r}: choose one of {SCHEDULES}")
        self.name, self.warmup, self.gamma = name, int(warmup_steps), float(gamma)
        self.min_lr_ratio, self.max_steps = float(min_lr_ratio), int(max_steps)

    def __call__(self, step: int) -> float:
        if step < self.warmup:
            return (step + 1) / self.warmup
        after = step - self.warmup
        if self.name == "exponential":
            return self.gamma**after
        if self.name == "cosine":
            progress = min(1.0, after / max(1, self.max_steps - self.warmup))
            return self.min_lr_ratio + (1 - self.min_lr_ratio) * 0.5 * (1 + math.cos(math.pi * progress))
        return 1.0
