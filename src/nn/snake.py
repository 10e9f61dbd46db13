"""Snake activation x + 1/alpha * sin^2(alpha x) (Ziyin et al. 2020; used by BigVGAN, DAC, Oobleck).

Both modules go through `snake`, an autograd function that keeps only its input for the backward pass.
Composed from eager ops, the same formula keeps alpha*x, sin(alpha x) and its square: three more
activation-sized tensors per call, and Snake codecs call it twice per residual unit at the audio rate.
`python -m src.bench snake` measures the saving. With fused kernels on (src/nn/kernels.py) the formula is
compiled instead into one loop each way, which also saves the elementwise passes themselves.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from src.nn.kernels import FusedKernelLayer, call_fused


def snake_eager(x: Tensor, alpha: Tensor, inv_beta: Tensor) -> Tensor:
    """The formula from eager ops: autograd keeps its intermediates (the reference `snake` is checked against)."""
    return x + inv_beta * torch.sin(alpha * x).pow(2)


class _Snake(torch.autograd.Function):
    """y = x + inv_beta * sin(alpha x)^2 with alpha, inv_beta broadcast against x (e.g. (1, C, 1)).

    Derivatives, with s2 = sin(2 alpha x) = 2 sin(alpha x) cos(alpha x):
      dy/dx = 1 + inv_beta * alpha * s2,  dy/dalpha = inv_beta * x * s2,  dy/dinv_beta = sin(alpha x)^2,
    the parameter gradients summed over the broadcast dimensions.
    """

    @staticmethod
    def forward(ctx, x: Tensor, alpha: Tensor, inv_beta: Tensor) -> Tensor:
        ctx.save_for_backward(x, alpha, inv_beta)
        return snake_eager(x, alpha, inv_beta)  # autograd records nothing inside Function.forward

    @staticmethod
    def backward(ctx, grad: Tensor) -> tuple[Tensor | None, Tensor | None, Tensor | None]:
        x, alpha, inv_beta = ctx.saved_tensors
        need_x, need_alpha, need_inv_beta = ctx.needs_input_grad
        ax = alpha * x
        grad_x = grad_alpha = grad_inv_beta = None
        if need_x or need_alpha:
            g_s2 = grad * inv_beta * torch.sin(2 * ax)
            if need_x:
                grad_x = grad + g_s2 * alpha
            if need_alpha:
                grad_alpha = (g_s2 * x).sum_to_size(alpha.shape)
        if need_inv_beta:
            grad_inv_beta = (grad * torch.sin(ax).pow(2)).sum_to_size(inv_beta.shape)
        return grad_x, grad_alpha, grad_inv_beta


def _snake_function(x: Tensor, alpha: Tensor, inv_beta: Tensor) -> Tensor:
    return _Snake.apply(x, alpha, inv_beta)


def snake(x: Tensor, alpha: Tensor, inv_beta: Tensor, backend: str | None = None) -> Tensor:
    """x + inv_beta * sin^2(alpha x); x: (B, C, T), alpha and inv_beta: (1, C, 1) -> (B, C, T).

    With a compile `backend` (src/nn/kernels.py: trainer.compile=kernels, or auto on a CPU) one compiled loop
    forward and one backward; with None the autograd function above."""
    return call_fused("snake", snake_eager, _snake_function, backend, x, alpha, inv_beta)


class Snake1d(FusedKernelLayer, nn.Module):
    """Per-channel learnable alpha. x: (B, C, T) -> (B, C, T)."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.alpha = nn.Parameter(torch.ones(1, channels, 1))

    def forward(self, x: Tensor) -> Tensor:
        # 1e-9 keeps the reciprocal finite when alpha is driven to zero
        return snake(x, self.alpha, (self.alpha + 1e-9).reciprocal(), self.fused_backend)


class SnakeBeta(FusedKernelLayer, nn.Module):
    """Snake with separate frequency (alpha) and magnitude (beta) per channel (BigVGAN; Oobleck, BigCodec).

    x + 1/beta * sin^2(alpha x). With `logscale` the parameters are stored as logs (initialised at 0,
    i.e. alpha = beta = 1), as in BigVGAN's `alpha_logscale=True`. x: (B, C, T) -> (B, C, T).
    """

    def __init__(self, channels: int, logscale: bool = True) -> None:
        super().__init__()
        init = torch.zeros if logscale else torch.ones
        self.alpha = nn.Parameter(init(1, channels, 1))
        self.beta = nn.Parameter(init(1, channels, 1))
        self.logscale = logscale

    def forward(self, x: Tensor) -> Tensor:
        alpha, beta = (self.alpha.exp(), self.beta.exp()) if self.logscale else (self.alpha, self.beta)
        return snake(x, alpha, (beta + 1e-9).reciprocal(), self.fused_backend)
