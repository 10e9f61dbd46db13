"""Shared quantizer machinery: code-usage statistics, masked losses, quantizer dropout, residual loop.

Residual quantization follows SoundStream (Zeghidour et al. 2021) with DAC's per-sample quantizer
dropout (Kumar et al. 2023). A residual "layer" is any module with
  forward(x: (B, D, F), active: (B, F) bool | None, update: bool) -> LayerOutput
  decode(codes: (B, F) int64) -> (B, D, F)
where `active` marks the frames that may update statistics and count in the losses.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

import torch
from torch import Tensor, nn

# The contract bases live in base.py; the quantizers also import them (and the checks) from here.
from src.quantizer.base import (  # noqa: F401
    ContinuousBottleneck,
    DiscreteQuantizer,
    check_mask,
    check_output_dim,
)
from src.types import QuantizerOutput


@dataclass
class LayerOutput:
    """out: (B, D, F) straight-through quantized vectors; codes: (B, F) int64;
    frame_losses: name -> (B, F) per-frame loss (already weighted); metrics: name -> scalar."""

    out: Tensor
    codes: Tensor
    frame_losses: dict[str, Tensor] = field(default_factory=dict)
    metrics: dict[str, Tensor] = field(default_factory=dict)


def full_precision(method):
    """Decorator for quantizer methods: run in float32 with autocast off, floating inputs cast to float32.

    Under bf16 autocast the distance matmuls, projections and FSQ bounds would run in bfloat16 (8-bit
    mantissa) and pick other codes near decision boundaries, and the EMA statistics would average rounded
    vectors. The quantizer is a small share of a step, so it always runs in fp32 (a no-op without autocast).
    Integer codes pass unchanged.
    """

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        device = next((a.device.type for a in args if isinstance(a, Tensor)), "cpu")
        with torch.autocast(device, enabled=False):
            args = [_fp32(a) for a in args]
            return method(self, *args, **{k: _fp32(v) for k, v in kwargs.items()})

    return wrapper


def _fp32(value):
    return value.float() if isinstance(value, Tensor) and value.is_floating_point() else value


def straight_through(q: Tensor, x: Tensor) -> Tensor:
    """Value of q, gradient of x. Written q + (x - x.detach()) so the value is exactly q
    (the usual x + (q - x).detach() rounds), which keeps decode(encode(z)) bit-exact."""
    return q + (x - x.detach())


def masked_mean(values: Tensor, active: Tensor | None) -> Tensor:
    """values: (B, F); active: (B, F) bool or None -> scalar mean over active frames (0 if none)."""
    if active is None:
        return values.mean()
    w = active.to(values.dtype)
    return (values * w).sum() / w.sum().clamp(min=1.0)


def code_counts(codes: Tensor, k: int, valid: Tensor | None = None) -> Tensor:
    """codes: int64 of any shape, valid: bool of the same shape or None -> (K,) float32 count of each code
    among the valid positions.

    index_add of ones (or of the 0/1 mask) instead of bincount(codes[valid]): the output has a fixed shape, so
    torch.compile traces it as one op (bincount's size and boolean indexing depend on the data and break the
    graph). Counts are integers, exact in float32 up to 2^24 per code, the same values bincount gives.
    """
    codes = codes.reshape(-1)
    if valid is None:
        weight = torch.ones(codes.shape[0], device=codes.device)
    else:
        weight = valid.reshape(-1).float()
    return torch.zeros(k, device=codes.device).index_add_(0, codes, weight)


class CodeUsage(nn.Module):
    """Counts code usage over a window of training steps for utilization / perplexity logging.

    The window (counts (K,) and the number of steps in it) lives in buffers, not in Python attributes, so
    that a compiled quantizer does not recompile every step (Dynamo guards on Python ints). The buffers are
    not persistent: they are logging state, not model state.
    """

    def __init__(self, codebook_size: int, window: int = 100) -> None:
        super().__init__()
        self.window = int(window)
        self.register_buffer("counts", torch.zeros(codebook_size), persistent=False)
        # (1,), not 0-dim: state digests view every buffer as bytes, which a 0-dim int64 cannot do
        self.register_buffer("steps", torch.zeros(1, dtype=torch.long), persistent=False)

    @staticmethod
    def summarize(counts: Tensor) -> dict[str, Tensor]:
        """counts: (K,) -> utilization (fraction of codes used) and perplexity (exp entropy)."""
        p = counts / counts.sum().clamp(min=1e-8)
        entropy = -(p * torch.log(p.clamp(min=1e-12))).sum()
        return {"utilization": (counts > 0).float().mean(), "perplexity": entropy.exp()}

    def forward(self, counts: Tensor, update: bool) -> dict[str, Tensor]:
        """counts: (K,) codes used in this batch. Training steps accumulate into the window; a full
        window restarts (tensor ops, no host read)."""
        counts = counts.detach().float()
        if not update:
            return self.summarize(counts)
        restart = self.steps >= self.window  # (1,) bool
        self.counts.copy_(torch.where(restart, 0.0, self.counts) + counts)
        self.steps.copy_(torch.where(restart, 0, self.steps) + 1)
        return self.summarize(self.counts)


def dropout_n_quantizers(batch: int, n: int, dropout: float, device: torch.device) -> Tensor | None:
    """DAC quantizer dropout: a `dropout` fraction of the batch uses a random 1..n codebooks.

    Returns (B,) int64 number of codebooks per sample, or None when every sample uses all n.
    """
    n_drop = int(batch * float(dropout))
    if n_drop <= 0 or n <= 1:
        return None
    n_q = torch.full((batch,), n, dtype=torch.long, device=device)
    n_q[:n_drop] = torch.randint(1, n + 1, (n_drop,), device=device)
    return n_q


class ResidualQuantizer(DiscreteQuantizer):
    """Residual loop over `self.layers` with per-sample quantizer dropout and padding masks.

    Subclasses set `layers` (nn.ModuleList), `quantizer_dropout` and `aux_loss_names`.
    """

    layers: nn.ModuleList
    quantizer_dropout: float = 0.0

    @staticmethod
    def check_args(n_codebooks: int, **fractions: float) -> None:
        """Refuse n_codebooks < 1 and any fraction (quantizer_dropout, skip_rvq_ratio) outside [0, 1]."""
        if n_codebooks < 1:
            raise ValueError(f"quantizer.n_codebooks={n_codebooks} must be >= 1")
        for key, val in fractions.items():
            if not 0.0 <= float(val) <= 1.0:
                raise ValueError(f"quantizer.{key}={val} must be in [0, 1]")

    def residual(
        self, x: Tensor, mask: Tensor | None, n_use: int, train: bool, skip: Tensor | None = None
    ) -> QuantizerOutput:
        """x: (B, D, F) -> z_q (B, D, F), codes (B, n_use, F); `skip`: (B,) samples left unquantized."""
        n_q = dropout_n_quantizers(x.shape[0], n_use, self.quantizer_dropout, x.device) if train else None
        residual, total = x, torch.zeros_like(x)
        codes, losses, metrics = [], {}, {}
        for i, layer in enumerate(self.layers[:n_use]):
            active = mask
            if n_q is not None or skip is not None:
                keep = torch.ones(x.shape[0], dtype=torch.bool, device=x.device)
                keep = keep & (i < n_q) if n_q is not None else keep
                keep = keep & ~skip if skip is not None else keep
                active = keep[:, None].expand(-1, x.shape[-1]) if mask is None else mask & keep[:, None]
            r = layer(residual, active=active, update=train)
            out = r.out if n_q is None and skip is None else r.out * keep[:, None, None].to(r.out.dtype)
            total = total + out
            residual = residual - r.out
            codes.append(r.codes)
            for name, value in r.frame_losses.items():
                losses[name] = losses.get(name, 0.0) + masked_mean(value, active)
            metrics.update({f"vq/{name}/{i}": value for name, value in r.metrics.items()})
        if skip is not None:
            total = torch.where(skip[:, None, None], x, total)
        return QuantizerOutput(total, torch.stack(codes, dim=1), losses, metrics)

    def residual_decode(self, codes: Tensor) -> Tensor:
        """codes: (B, k, F) -> sum of the first k layers' decoded vectors (B, D, F), in forward's order."""
        k = self.check_codes(codes)
        total = None
        for i, layer in enumerate(self.layers[:k]):
            out = layer.decode(codes[:, i].long())
            total = torch.zeros_like(out) + out if total is None else total + out
        return total
