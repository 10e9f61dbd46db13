"""Non-local self-attention block over frames (Wang et al. 2018; the AttnBlock of LDM/VQGAN used by WavTokenizer)."""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor, nn


class SelfAttention1d(nn.Module):
    """GroupNorm -> 1x1-conv q, k, v -> softmax(q k^T / sqrt(d)) v -> 1x1-conv out -> + x.

    x: (B, C, L) -> (B, C, L). Full (non-causal) attention over the L frames, with no positional
    encoding: the surrounding convolutions provide position. num_heads=1 is WavTokenizer's block;
    more heads split C and keep the same parameter count.
    """

    def __init__(self, channels: int, num_heads: int = 1, num_groups: int = 32, eps: float = 1e-6) -> None:
        super().__init__()
        if channels % num_heads:
            raise ValueError(f"attention: channels={channels} not divisible by num_heads={num_heads}")
        if channels % num_groups:
            raise ValueError(f"attention: channels={channels} not divisible by GroupNorm num_groups={num_groups}")
        self.num_heads = num_heads
        self.norm = nn.GroupNorm(num_groups, channels, eps=eps)
        self.q = nn.Conv1d(channels, channels, 1)
        self.k = nn.Conv1d(channels, channels, 1)
        self.v = nn.Conv1d(channels, channels, 1)
        self.proj_out = nn.Conv1d(channels, channels, 1)

    def _heads(self, t: Tensor) -> Tensor:
        b, c, length = t.shape
        return t.reshape(b, self.num_heads, c // self.num_heads, length).transpose(-1, -2)

    def forward(self, x: Tensor) -> Tensor:
        h = self.norm(x)
        q, k, v = (self._heads(proj(h)) for proj in (self.q, self.k, self.v))  # (B, heads, L, d)
        out = F.scaled_dot_product_attention(q, k, v)  # softmax scale 1/sqrt(d), as in WavTokenizer
        b, _, length, _ = out.shape
        out = out.transpose(-1, -2).reshape(b, -1, length)
        return x + self.proj_out(out)
