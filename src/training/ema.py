"""Exponential moving average of model weights (Polyak averaging), used for validation and export."""

from __future__ import annotations

import torch
from torch import nn


class ModelEMA:
    """Holds `shadow`, a separate instance of the model's architecture, as the EMA of `model`.

    shadow = d * shadow + (1 - d) * model for parameters, with d = min(decay, (1 + n) / (10 + n)) after n
    updates so that early averages are not dominated by the initial weights; buffers (EMA codebooks,
    cluster sizes) are copied, since they are already running statistics.
    """

    def __init__(self, shadow: nn.Module, model: nn.Module, decay: float = 0.999) -> None:
        if not 0.0 <= decay < 1.0:
            raise ValueError(f"trainer.ema_decay={decay} must be in [0, 1)")
        self.shadow = shadow.eval().requires_grad_(False)
        self.shadow.load_state_dict(model.state_dict())
        self.decay, self.updates = float(decay), 0
        n_params = (len(list(shadow.parameters())), len(list(model.parameters())))
        if n_params[0] != n_params[1]:
            raise ValueError(f"EMA shadow has {n_params[0]} parameters but the model {n_params[1]}")

    def current_decay(self) -> float:
        return min(self.decay, (1 + self.updates) / (10 + self.updates))

    @torch.no_grad()
    def update(self, model: nn.Module) -> None:
        d = self.current_decay()
        shadow_p = list(self.shadow.parameters())
        model_p = [p.detach().to(s.dtype) for p, s in zip(model.parameters(), shadow_p)]
        torch._foreach_lerp_(shadow_p, model_p, 1.0 - d)
        for s, b in zip(self.shadow.buffers(), model.buffers()):
            s.copy_(b)
        self.updates += 1

    def to(self, device: torch.device) -> ModelEMA:
        self.shadow.to(device)
        return self
