"""Activation factory and the anti-aliased activation of BigVGAN (Lee et al. 2023), used by BigCodec.

`make_activation("snake", 64)` is how every conv stack in codeclab names its nonlinearity, so that
a config can switch ELU / Snake / SnakeBeta (and anti-aliasing) without touching the model code.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import partial

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from src.nn.snake import Snake1d, SnakeBeta

ActivationFactory = Callable[[int], nn.Module]
ACTIVATIONS = ("elu", "snake", "snake_beta", "leaky_relu", "gelu", "none")


def kaiser_sinc_lowpass(cutoff: float, half_width: float, kernel_size: int) -> Tensor:
    """Kaiser-windowed sinc low-pass filter (Kaiser's empirical beta for the given transition width).

    cutoff and half_width are in cycles/sample (Nyquist = 0.5). Returns (kernel_size,), summing to 1.
    """
    half = kernel_size // 2
    attenuation = 2.285 * (half - 1) * math.pi * 4 * half_width + 7.95
    if attenuation > 50.0:
        beta = 0.1102 * (attenuation - 8.7)
    elif attenuation >= 21.0:
        beta = 0.5842 * (attenuation - 21) ** 0.4 + 0.07886 * (attenuation - 21.0)
    else:
        beta = 0.0
    window = torch.kaiser_window(kernel_size, periodic=False, beta=beta)
    # an even kernel is centred between two taps
    t = torch.arange(-half, half) + 0.5 if kernel_size % 2 == 0 else torch.arange(kernel_size) - half
    taps = 2 * cutoff * window * torch.sinc(2 * cutoff * t)
    return taps / taps.sum()


class AntiAliasActivation(nn.Module):
    """Upsample x`ratio` -> activation -> low-pass and decimate, so the nonlinearity's harmonics above
    the original Nyquist are filtered instead of aliased (BigVGAN `Activation1d`). x: (B, C, T) -> (B, C, T).
    """

    def __init__(self, activation: nn.Module, ratio: int = 2, kernel_size: int = 12) -> None:
        super().__init__()
        self.act, self.ratio, self.kernel_size = activation, ratio, kernel_size
        taps = kaiser_sinc_lowpass(0.5 / ratio, 0.6 / ratio, kernel_size)
        self.register_buffer("taps", taps.view(1, 1, -1), persistent=False)

    def _upsample(self, x: Tensor) -> Tensor:
        r, k = self.ratio, self.kernel_size
        pad = k // r - 1
        crop_left = pad * r + (k - r) // 2
        crop_right = pad * r + (k - r + 1) // 2
        x = F.pad(x, (pad, pad), mode="replicate")
        taps = self.taps.expand(x.shape[1], -1, -1)
        y = r * F.conv_transpose1d(x, taps, stride=r, groups=x.shape[1])
        return y[..., crop_left : y.shape[-1] - crop_right]

    def _downsample(self, x: Tensor) -> Tensor:
        k = self.kernel_size
        x = F.pad(x, (k // 2 - int(k % 2 == 0), k // 2), mode="replicate")
        return F.conv1d(x, self.taps.expand(x.shape[1], -1, -1), stride=self.ratio, groups=x.shape[1])

    def forward(self, x: Tensor) -> Tensor:
        return self._downsample(self.act(self._upsample(x)))


def make_activation(name: str, channels: int, antialias: bool = False, **params) -> nn.Module:
    """name in ACTIVATIONS (case-insensitive; 'ELU' as in EnCodec configs) -> module for `channels`."""
    key = name.lower()
    if key == "elu":
        act: nn.Module = nn.ELU(**params)
    elif key == "snake":
        act = Snake1d(channels)
    elif key == "snake_beta":
        act = SnakeBeta(channels, **params)
    elif key == "leaky_relu":
        act = nn.LeakyReLU(**params)
    elif key == "gelu":
        act = nn.GELU()
    elif key == "none":
        return nn.Identity()
    else:
        raise ValueError(f"unknown activation {name!r}: choose one of {ACTIVATIONS}")
    return AntiAliasActivation(act) if antialias else act


def activation_factory(name: str, antialias: bool = False, **params) -> ActivationFactory:
    """A callable channels -> activation module, for the block builders in src/nn/blocks.py."""
    make_activation(name, 1, antialias, **params)  # fail at build time on a bad name
    return partial(make_activation, name, antialias=antialias, **params)
