"""Variance-preserving initialisation (He et al. 2015, "Delving Deep into Rectifiers") with zero biases.

PyTorch's default conv init (weights U(+-1/sqrt(fan_in)), biases of the same scale) shrinks the signal by
~sqrt(3) per layer while each layer adds its own bias: after the ~14 convolutions of a SEANet encoder the
output is mostly a constant vector (docs/collapse.md measures it). Quantizers that do not fit their codebook
to the data (DAC's and BigCodec's gradient-learned codebooks, FSQ's fixed grid) then map every frame to one
code. He init keeps the input-dependent part at unit scale, and zero biases keep the output centred.
"""

from __future__ import annotations

import math

import torch
from torch import nn

INIT_CHOICES = ("torch", "kaiming")


def check_init(init: str, key: str) -> str:
    if init not in INIT_CHOICES:
        raise ValueError(f"{key}={init!r}: choose one of {list(INIT_CHOICES)}")
    return init


@torch.no_grad()
def kaiming_init_(module: nn.Module, gain: float = math.sqrt(2.0)) -> nn.Module:
    """Every Conv1d (weight-normed or not): weights N(0, gain^2 / fan_in), biases 0; LSTM biases 0.

    Weight-normed convs are set through their parametrization (`conv.weight = w` calls its
    right_inverse), so g and v describe the new weight. Returns `module`.
    """
    for m in module.modules():
        if isinstance(m, nn.Conv1d):
            fan_in = m.in_channels // m.groups * m.kernel_size[0]
            w = torch.randn_like(m.weight) * (gain / math.sqrt(fan_in))
            if hasattr(m, "parametrizations"):
                m.weight = w
            else:
                m.weight.copy_(w)
            if m.bias is not None:
                m.bias.zero_()
        elif isinstance(m, nn.LSTM):
            for name, p in m.named_parameters():
                if name.startswith("bias"):
                    p.zero_()
    return module
