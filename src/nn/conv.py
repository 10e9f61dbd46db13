"""Shared convolution layers: normed convs, 'same' padding, causal/centred streaming convs (EnCodec/DAC style).

One set for the whole codec: generators (SConv1d, WN*) and discriminators (conv1d/conv2d, `normed`)."""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch.nn.functional as F
from torch import Tensor, nn
from torch.nn.utils.parametrizations import spectral_norm, weight_norm


def WNConv1d(*args, **kwargs) -> nn.Conv1d:
    """nn.Conv1d wrapped in weight normalisation (DAC, EnCodec)."""
    return weight_norm(nn.Conv1d(*args, **kwargs))


def WNConvTranspose1d(*args, **kwargs) -> nn.ConvTranspose1d:
    return weight_norm(nn.ConvTranspose1d(*args, **kwargs))


def WNConv2d(*args, **kwargs) -> nn.Conv2d:
    return weight_norm(nn.Conv2d(*args, **kwargs))


NORMS = ("weight_norm", "spectral_norm", "none")


def normed(module: nn.Module, norm: str) -> nn.Module:
    """Wrap a conv in weight norm (default everywhere), spectral norm (HiFi-GAN's first MSD scale) or none."""
    if norm == "weight_norm":
        return weight_norm(module)
    if norm == "spectral_norm":
        return spectral_norm(module)
    if norm == "none":
        return module
    raise ValueError(f"norm={norm!r} (the `norm` key of the component config): choose one of {NORMS}")


def _pair(x: int | Sequence[int]) -> tuple[int, int]:
    return (int(x), int(x)) if isinstance(x, int) else (int(x[0]), int(x[1]))


def same_padding(kernel: int, dilation: int = 1) -> int:
    """ceil((k - 1) * d / 2): 'same' length for odd kernels; k=2 pads 1 (BigCodec's MPD output conv)."""
    return ((kernel - 1) * dilation + 1) // 2


def conv2d(in_ch: int, out_ch: int, kernel, stride=1, dilation=1, norm: str = "weight_norm") -> nn.Module:
    kernel, stride, dilation = _pair(kernel), _pair(stride), _pair(dilation)
    padding = tuple(same_padding(k, d) for k, d in zip(kernel, dilation))
    return normed(nn.Conv2d(in_ch, out_ch, kernel, stride, padding, dilation), norm)


def conv1d(
    in_ch: int,
    out_ch: int,
    kernel: int,
    stride: int = 1,
    groups: int = 1,
    norm: str = "weight_norm",
) -> nn.Module:
    return normed(nn.Conv1d(in_ch, out_ch, kernel, stride, same_padding(kernel), groups=groups), norm)


def extra_padding_for_frames(length: int, kernel: int, stride: int, padding_total: int) -> int:
    """Right padding so that the last window is complete (EnCodec `get_extra_padding_for_conv1d`)."""
    n_frames = (length - kernel + padding_total) / stride + 1
    ideal = (math.ceil(n_frames) - 1) * stride + (kernel - padding_total)
    return max(0, ideal - length)


class SConv1d(nn.Module):
    """Conv1d with 'same'-style padding computed from kernel/stride/dilation, causal or centred.

    x: (B, C_in, T) -> (B, C_out, ceil(T / stride)). Causal puts all padding on the left so that
    output frame t depends only on input samples <= t (EnCodec's streaming-friendly convention).
    """

    def __init__(
        self,
        in_ch: int,
        out_ch: int,
        kernel_size: int,
        stride: int = 1,
        dilation: int = 1,
        groups: int = 1,
        bias: bool = True,
        causal: bool = False,
        norm: str = "weight_norm",
        pad_mode: str = "reflect",
    ) -> None:
        super().__init__()
        conv = nn.Conv1d(in_ch, out_ch, kernel_size, stride, dilation=dilation, groups=groups, bias=bias)
        self.conv = normed(conv, norm)
        self.causal, self.pad_mode = causal, pad_mode
        self.kernel_size, self.stride, self.dilation = kernel_size, stride, dilation

    def forward(self, x: Tensor) -> Tensor:
        eff_kernel = (self.kernel_size - 1) * self.dilation + 1
        padding_total = eff_kernel - self.stride
        extra = extra_padding_for_frames(x.shape[-1], eff_kernel, self.stride, padding_total)
        if self.causal:
            left, right = padding_total, extra
        else:
            right = padding_total // 2
            left, right = padding_total - right, right + extra
        return self.conv(pad1d(x, (left, right), self.pad_mode))


class SConvTranspose1d(nn.Module):
    """ConvTranspose1d that trims its padding so that T_out = T_in * stride (EnCodec convention)."""

    def __init__(
        self,
        in_ch: int,
        out_ch: int,
        kernel_size: int,
        stride: int = 1,
        causal: bool = False,
        norm: str = "weight_norm",
        trim_right_ratio: float = 1.0,
    ) -> None:
        super().__init__()
        conv = nn.ConvTranspose1d(in_ch, out_ch, kernel_size, stride)
        self.convtr = normed(conv, norm)
        self.causal, self.trim_right_ratio = causal, trim_right_ratio
        self.kernel_size, self.stride = kernel_size, stride

    def forward(self, x: Tensor) -> Tensor:
        y = self.convtr(x)
        padding_total = self.kernel_size - self.stride
        right = math.ceil(padding_total * self.trim_right_ratio) if self.causal else padding_total // 2
        left = padding_total - right
        return y[..., left : y.shape[-1] - right]


def pad1d(x: Tensor, paddings: tuple[int, int], mode: str = "reflect") -> Tensor:
    """F.pad that also works for reflect padding on inputs shorter than the pad (pads zeros first)."""
    left, right = paddings
    if mode == "reflect":
        max_pad = max(left, right)
        extra = max(0, max_pad - x.shape[-1] + 1)
        if extra:
            x = F.pad(x, (0, extra))
        out = F.pad(x, (left, right), mode)
        return out[..., : out.shape[-1] - extra]
    return F.pad(x, (left, right), mode)


def resolve_pad_mode(pad_mode: str | None, causal: bool, key: str = "pad_mode") -> str:
    """None -> 'reflect' (EnCodec) when centred, 'constant' (zeros) when causal.

    Reflect padding on the left mirrors samples 1..pad, i.e. FUTURE samples of the first frames, so a
    'causal' stack with reflect padding (EnCodec's released configuration) is not causal: refuse it.
    """
    if pad_mode is None:
        return "constant" if causal else "reflect"
    if pad_mode == "reflect_encodec":  # the released EnCodec's causal + reflect, kept for its converted weights
        return "reflect"
    if causal and pad_mode == "reflect":
        raise ValueError(
            f"{key}=reflect with causal=true reads future samples on the left edge: "
            f"set {key}: constant (or replicate), or leave it null"
        )
    return pad_mode
