"""Fused elementwise kernels: small functions compiled once by torch.compile (inductor), with dynamic shapes.

Why: on a CPU, Snake codecs (DAC, BigCodec, Oobleck) spend a fifth of a training step in the activation's
elementwise passes (alpha*x, sin, square, scale, add, and twice as many in the backward), each a full read and
write of an audio-rate activation. Inductor fuses them into one loop forward and one backward. Compiling only
these functions, not whole stages, costs seconds instead of the 15+ minutes a full `torch.compile` of a
codec takes on 2 cores, and every instance of the layer shares one graph: shapes are dynamic, and parameters
are not specialised on (Dynamo's `force_parameter_static_shapes` would recompile per channel count).

`trainer.compile=kernels` (or `auto` on a CPU; src/training/compile.py) switches them on for one model
with `set_fused_kernels(model, "inductor")`. Inside a region that Dynamo is already tracing
(`trainer.compile=true`) the plain function is used, so that the outer graph sees ordinary ops. If
compilation fails (no C++ compiler for inductor's CPU backend, say), the kernel warns once, names the error
and falls back to eager for the rest of the process: a run is never lost to it.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable

import torch
from torch import nn

_COMPILED: dict[tuple[str, str], Callable] = {}
_FAILED: set[tuple[str, str]] = set()


class FusedKernelLayer:
    """Mixin for a layer with a fused kernel: `fused_backend` is None (eager) or a torch.compile backend,
    set per module by `set_fused_kernels` (so two models in one process can differ)."""

    fused_backend: str | None = None


def set_fused_kernels(model: nn.Module, backend: str | None) -> int:
    """Route every FusedKernelLayer in `model` through its compiled kernel (backend, e.g. "inductor") or back
    to eager (None). -> how many layers were set."""
    layers = [m for m in model.modules() if isinstance(m, FusedKernelLayer)]
    for layer in layers:
        layer.fused_backend = backend
    return len(layers)


def has_fused_kernels(model: nn.Module) -> bool:
    return any(isinstance(m, FusedKernelLayer) for m in model.modules())


def call_fused(name: str, formula: Callable, fallback: Callable, backend: str | None, *args):
    """formula(*args) through its kernel compiled with `backend`; with backend None (or while Dynamo traces an
    enclosing region, or after this kernel failed to compile) fallback(*args). Both compute the same values:
    `formula` is the plain composition of ops that inductor fuses, `fallback` the eager version."""
    key = (name, str(backend))
    if backend is None or key in _FAILED or torch.compiler.is_compiling():
        return fallback(*args)
    kernel = _COMPILED.get(key)
    if kernel is None:
        kernel = _COMPILED[key] = torch.compile(formula, dynamic=True, backend=backend)
    try:
        with torch._dynamo.config.patch(force_parameter_static_shapes=False):
            return kernel(*args)
    except Exception as err:  # noqa: BLE001 - any compiler failure: fall back, the eager op re-raises real errors
        _FAILED.add(key)
        reason = " ".join(str(err).split())[:300]  # one line: compiler errors span many
        warnings.warn(
            f"fused kernel {name!r} could not be compiled with backend {backend!r} ({type(err).__name__}: "
            f"{reason}); using the eager version for the rest of this process "
            "(trainer.compile=false skips trying)",
            RuntimeWarning,
            stacklevel=2,
        )
        return fallback(*args)
