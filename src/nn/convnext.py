"""1-D ConvNeXt block and AdaLayerNorm (Liu et al. 2022, ConvNeXt; as adapted by Vocos, Siuzdak 2023)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn


class AdaLayerNorm(nn.Module):
    """LayerNorm whose scale and shift are looked up from a conditioning id (e.g. a bandwidth id).

    x: (B, L, D), cond_id: (B,) or (1,) int64 -> (B, L, D). Scale starts at 1 and shift at 0, so at
    initialisation every id behaves like a plain (non-affine) LayerNorm.
    """

    def __init__(self, num_embeddings: int, dim: int, eps: float = 1e-6) -> None:
        super().__init__()
        self.num_embeddings, self.dim, self.eps = num_embeddings, dim, eps
        self.scale = nn.Embedding(num_embeddings, dim)
        self.shift = nn.Embedding(num_embeddings, dim)
        nn.init.ones_(self.scale.weight)
        nn.init.zeros_(self.shift.weight)

    def forward(self, x: Tensor, cond_id: Tensor) -> Tensor:
        x = F.layer_norm(x, (self.dim,), eps=self.eps)
        return x * self.scale(cond_id)[:, None, :] + self.shift(cond_id)[:, None, :]


class ConvNeXtBlock(nn.Module):
    """Depthwise conv (k=7) -> (Ada)LayerNorm -> Linear(D, I) -> GELU -> Linear(I, D) -> layer scale -> + x.

    x: (B, D, L) -> (B, D, L); cond_id as in AdaLayerNorm, required iff adanorm_num_embeddings is set.
    layer_scale_init_value <= 0 or None disables the learnable per-channel scale (gamma).
    """

    def __init__(
        self,
        dim: int,
        intermediate_dim: int,
        layer_scale_init_value: float | None = None,
        adanorm_num_embeddings: int | None = None,
        kernel_size: int = 7,
    ) -> None:
        super().__init__()
        self.dwconv = nn.Conv1d(dim, dim, kernel_size, padding=kernel_size // 2, groups=dim)
        self.norm = AdaLayerNorm(adanorm_num_embeddings, dim) if adanorm_num_embeddings else nn.LayerNorm(dim, eps=1e-6)
        self.pwconv1 = nn.Linear(dim, intermediate_dim)  # pointwise convs as Linear on (B, L, D)
        self.act = nn.GELU()
        self.pwconv2 = nn.Linear(intermediate_dim, dim)
        use_scale = layer_scale_init_value is not None and layer_scale_init_value > 0
        self.gamma = nn.Parameter(torch.full((dim,), float(layer_scale_init_value))) if use_scale else None

    def forward(self, x: Tensor, cond_id: Tensor | None = None) -> Tensor:
        y = self.dwconv(x).transpose(1, 2)
        y = self.norm(y, cond_id) if isinstance(self.norm, AdaLayerNorm) else self.norm(y)
        y = self.pwconv2(self.act(self.pwconv1(y)))
        if self.gamma is not None:
            y = y * self.gamma
        return x + y.transpose(1, 2)
