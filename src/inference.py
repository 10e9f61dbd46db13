"""Inference fast path: fold weight normalisation into plain weights (Salimans & Kingma 2016), eval, no grad.

A weight-normed conv recomputes `g * v / ||v||` on every call (parametrizations) or in a forward pre-hook
(the legacy `torch.nn.utils.weight_norm` that the official DAC/EnCodec/Vocos code uses). For inference the
product is a constant: computing it once removes one norm, one division and one multiply per conv and call.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils import parametrize

from src.nn.kernels import set_fused_kernels


def _legacy_weight_norm_names(module: nn.Module) -> list[str]:
    """Names of the weights that the legacy torch.nn.utils.weight_norm hook recomputes on `module`."""
    from torch.nn.utils.weight_norm import WeightNorm

    return [hook.name for hook in module._forward_pre_hooks.values() if isinstance(hook, WeightNorm)]


def _unparametrize(module: nn.Module) -> int:
    """Swap a parametrized module back to its own class with the current values as plain Parameters.

    Not torch's remove_parametrizations: that deletes the property from the generated class, which a
    deep copy shares with its original, so folding a copy would break the original codec."""
    values = {name: getattr(module, name).detach().clone() for name in module.parametrizations}
    delattr(module, "parametrizations")
    module.__class__ = module.__class__.__bases__[0]  # ParametrizedConv1d -> Conv1d
    for name, value in values.items():
        module.register_parameter(name, nn.Parameter(value))
    return len(values)


def fold_weight_norm(model: nn.Module) -> int:
    """Replace every weight-norm (and any other) parametrization and every legacy weight_norm hook of
    `model` by the plain tensor it currently computes. In place; -> the number of tensors folded."""
    folded = 0
    for module in list(model.modules()):
        if parametrize.is_parametrized(module):
            folded += _unparametrize(module)
        for name in _legacy_weight_norm_names(module):
            torch.nn.utils.remove_weight_norm(module, name)
            folded += 1
    return folded


def count_parametrizations(model: nn.Module) -> int:
    """Parametrized tensors plus legacy weight_norm hooks left in `model` (0 after `fold_weight_norm`)."""
    total = 0
    for module in model.modules():
        if parametrize.is_parametrized(module):
            total += len(module.parametrizations)
        total += len(_legacy_weight_norm_names(module))
    return total


def prepare_for_inference(codec: nn.Module, fused_kernels: str | None = None) -> nn.Module:
    """-> the same codec (in place), ready for encode/decode only: weight norm folded, eval mode (dropout
    off, quantizer statistics frozen), no parameter requires grad, LSTM weights made contiguous.
    fused_kernels: a torch.compile backend ("inductor") for the Snake layers' fused kernel
    (src/nn/kernels.py; seconds to compile, then ~0.8x the eager encode/decode time of DAC on a CPU), or None.

    The folded codec's state_dict has plain `weight` keys instead of `parametrizations.weight.original0/1`,
    so it cannot be loaded back into a training codec: save checkpoints from the unfolded one.
    """
    codec.eval()
    with torch.no_grad():
        fold_weight_norm(codec)
    codec.requires_grad_(False)
    for module in codec.modules():
        if isinstance(module, nn.RNNBase):
            module.flatten_parameters()  # one contiguous weight buffer: no per-call copy warning/work
    set_fused_kernels(codec, fused_kernels)
    codec.inference_ready = True
    return codec
