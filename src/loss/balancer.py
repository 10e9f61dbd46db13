"""Gradient balancer of EnCodec (Defossez et al. 2022, 'High Fidelity Neural Audio Compression', §3.4).

Each loss term l_i that depends on the reconstruction contributes g_i = d l_i / d wav_hat. With <||g_i||>
the EMA of its norm and lambda_i its weight, the gradient sent back into the codec is

    G = total_norm * sum_i (lambda_i / sum_j lambda_j) * g_i / (<||g_i||> + eps),

so the weights are the FRACTIONS of the gradient each term provides, independent of the terms' scales.
The balancer returns a surrogate scalar whose gradient w.r.t. wav_hat is G; the trainer backpropagates it.
"""

from __future__ import annotations

from collections.abc import Mapping

import torch
import torch.distributed as dist
from torch import Tensor


class Balancer:
    """total_norm: norm of the balanced gradient (per batch item when per_batch_item).
    ema_decay: decay of the bias-corrected EMA of each term's gradient norm (EnCodec: 0.999).
    """

    def __init__(
        self, total_norm: float = 1.0, ema_decay: float = 0.999, per_batch_item: bool = True, epsilon: float = 1e-12
    ) -> None:
        self.total_norm, self.ema_decay = float(total_norm), float(ema_decay)
        self.per_batch_item, self.epsilon = per_batch_item, float(epsilon)
        self._ema: dict[str, list[float]] = {}  # name -> [bias-correction weight, weighted sum]
        self.last_norms: dict[str, float] = {}

    def _norm(self, grad: Tensor) -> Tensor:
        if self.per_batch_item:
            return grad.flatten(1).norm(dim=1).mean()
        return grad.norm()

    def _average(self, norms: dict[str, Tensor]) -> dict[str, float]:
        names = sorted(norms)
        values = torch.stack([norms[n].detach().float() for n in names])
        if dist.is_available() and dist.is_initialized():  # every rank must scale identically
            dist.all_reduce(values)
            values /= dist.get_world_size()
        out = {}
        for name, value in zip(names, values.tolist()):
            fix, total = self._ema.get(name, [0.0, 0.0])
            fix, total = fix * self.ema_decay + 1.0, total * self.ema_decay + value
            self._ema[name] = [fix, total]
            out[name] = total / fix
        return out

    def __call__(self, terms: Mapping[str, Tensor], wav_hat: Tensor, weights: Mapping[str, float]) -> Tensor:
        """terms: name -> scalar depending on wav_hat (B, C, T); weights: name -> lambda. -> surrogate scalar."""
        missing = sorted(set(terms) - set(weights))
        if missing:
            raise KeyError(f"balancer: no weight for the terms {missing}: add loss.weights.<name>")
        grads = {n: torch.autograd.grad(t, [wav_hat], retain_graph=True)[0] for n, t in terms.items()}
        avg = self._average({n: self._norm(g) for n, g in grads.items()})
        self.last_norms = avg
        total_weight = sum(weights[n] for n in grads)
        if total_weight <= 0:
            raise ValueError(f"balancer: the weights of {sorted(grads)} sum to {total_weight}; they must be > 0")
        balanced = torch.zeros_like(wav_hat)
        for name, grad in grads.items():
            scale = weights[name] / total_weight * self.total_norm / (self.epsilon + avg[name])
            balanced = balanced + scale * grad
        return (wav_hat * balanced.detach()).sum()

    def state_dict(self) -> dict:
        return {"ema": {n: torch.tensor(v, dtype=torch.float64) for n, v in self._ema.items()}}

    def load_state_dict(self, state: Mapping) -> None:
        self._ema = {n: [float(x) for x in v.tolist()] for n, v in state.get("ema", {}).items()}
