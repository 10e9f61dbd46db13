"""Optimizers and learning-rate schedules: AdamW (Loshchilov & Hutter 2019) with linear warm-up, then
exponential decay (DAC), cosine decay, or a constant rate."""
from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

import torch
from torch.optim.lr_scheduler import LambdaLR

SCHEDULES = ("exponential", "cosine", "constant")


def build_optimizer(params: Iterable[torch.nn.Parameter], cfg: Mapping, key: str) -> torch.optim.Optimizer:
    """cfg: optim.<key> {lr, betas, weight_decay, eps} -> AdamW."""
    params = [p for p in params if p.requires_grad]
    if not params:
        raise ValueError(f"optim.{key}: the model has no trainable parameters")
    return torch.optim.AdamW(params, lr=float(cfg["lr"]), betas=tuple(float(b) for b in cfg["betas"]),
                             weight_decay=float(cfg.get("weight_decay", 0.0)), eps=float(cfg.get("eps", 1e-8)))


class LRFactor:
    """step -> multiplier of the base LR. Linear warm-up over `warmup_steps` (first step at 1/warmup_steps),
    then: exponential gamma**(step - warmup); cosine from 1 to min_lr_ratio over the remaining steps;
    or constant 1."""

    def __init__(self, name: str = "exponential", warmup_steps: int = 0, gamma: float = 0.999996,
                 min_lr_ratio: float = 0.0, max_steps: int = 1) -> None:
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


def build_scheduler(optimizer: torch.optim.Optimizer, cfg: Mapping, max_steps: int) -> LambdaLR:
    """cfg: optim.scheduler {name, warmup_steps, gamma, min_lr_ratio}; stepped once per optimizer step."""
    factor = LRFactor(cfg.get("name", "exponential"), cfg.get("warmup_steps", 0), cfg.get("gamma", 0.999996),
                      cfg.get("min_lr_ratio", 0.0), max_steps)
    return LambdaLR(optimizer, factor)
