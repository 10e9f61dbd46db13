"""Vocos ConvNeXt backbone (Siuzdak 2023) with WavTokenizer's attention pos-net (Ji et al. 2024)."""

from __future__ import annotations

import torch
from torch import Tensor, nn

from src.decoder.base import Decoder
from src.nn.attention import SelfAttention1d
from src.nn.convnext import AdaLayerNorm, ConvNeXtBlock


class ResnetBlock1d(nn.Module):
    """GroupNorm -> SiLU -> Conv(k=3) -> GroupNorm -> SiLU -> Dropout -> Conv(k=3) -> + x (LDM-style).

    x: (B, C, L) -> (B, C, L).
    """

    def __init__(self, channels: int, dropout: float = 0.1, num_groups: int = 32) -> None:
        super().__init__()
        self.block = nn.Sequential(
            nn.GroupNorm(num_groups, channels, eps=1e-6),
            nn.SiLU(),
            nn.Conv1d(channels, channels, 3, padding=1),
            nn.GroupNorm(num_groups, channels, eps=1e-6),
            nn.SiLU(),
            nn.Dropout(dropout),
            nn.Conv1d(channels, channels, 3, padding=1),
        )

    def forward(self, x: Tensor) -> Tensor:
        return x + self.block(x)


def build_pos_net(channels: int, dropout: float, num_groups: int, attn_heads: int) -> nn.Sequential:
    """WavTokenizer's stack: ResBlock, ResBlock, Attention, ResBlock, ResBlock, GroupNorm. (B, C, L) -> same."""
    res = [ResnetBlock1d(channels, dropout, num_groups) for _ in range(4)]
    attn = SelfAttention1d(channels, attn_heads, num_groups)
    return nn.Sequential(*res[:2], attn, *res[2:], nn.GroupNorm(num_groups, channels, eps=1e-6))


class VocosDecoder(Decoder):
    """Frame-rate backbone: Conv(k=7) embed -> [pos-net] -> (Ada)LayerNorm -> ConvNeXt x N -> LayerNorm.

    z_q: (B, latent_dim, F), bandwidth_id: (B,) | (1,) int64 | None -> h: (B, dim, F). No upsampling
    (`upsample` = 1): a spectral head (istft / imdct_*) turns each frame into `hop` samples.
    With `adanorm_num_embeddings` set, every norm before the ConvNeXt MLPs is an AdaLayerNorm selected by
    `bandwidth_id`; a missing id means id 0 (WavTokenizer trains and infers with id 0 throughout).
    """

    upsample = 1

    def __init__(
        self,
        latent_dim: int,
        out_dim: int,
        dim: int = 768,
        intermediate_dim: int = 2304,
        num_layers: int = 12,
        layer_scale_init_value: float | None = None,
        adanorm_num_embeddings: int | None = None,
        pos_net: bool = True,
        pos_net_dropout: float = 0.1,
        num_groups: int = 32,
        attn_heads: int = 1,
    ) -> None:
        super().__init__()
        if out_dim != dim:
            raise ValueError(
                f"decoder.out_dim={out_dim} but the vocos backbone outputs decoder.dim={dim}: set `out_dim: ${{.dim}}`"
            )
        if num_layers < 1:
            raise ValueError(f"decoder.num_layers={num_layers}: need at least one ConvNeXt block")
        if pos_net and dim % num_groups:
            raise ValueError(
                f"decoder.dim={dim} is not divisible by decoder.num_groups={num_groups} (GroupNorm in the pos-net)"
            )
        self.latent_dim, self.out_dim, self.dim = latent_dim, out_dim, dim
        self.adanorm_num_embeddings = adanorm_num_embeddings or None
        self.embed = nn.Conv1d(latent_dim, dim, kernel_size=7, padding=3)
        self.norm = AdaLayerNorm(adanorm_num_embeddings, dim) if adanorm_num_embeddings else nn.LayerNorm(dim, eps=1e-6)
        scale = layer_scale_init_value if layer_scale_init_value is not None else 1.0 / num_layers
        self.convnext = nn.ModuleList(
            ConvNeXtBlock(dim, intermediate_dim, scale, adanorm_num_embeddings) for _ in range(num_layers)
        )
        self.final_layer_norm = nn.LayerNorm(dim, eps=1e-6)
        # Vocos/WavTokenizer init: truncated normal on the embed + ConvNeXt layers only (pos-net keeps
        # PyTorch's default init, as WavTokenizer builds it after applying this init)
        self.apply(_trunc_normal_init)
        self.pos_net = build_pos_net(dim, pos_net_dropout, num_groups, attn_heads) if pos_net else None

    def _cond_ids(self, bandwidth_id: Tensor | None, batch: int, device: torch.device) -> Tensor | None:
        if self.adanorm_num_embeddings is None:
            return None
        if bandwidth_id is None:
            return torch.zeros(batch, dtype=torch.long, device=device)
        ids = torch.as_tensor(bandwidth_id, device=device).long().reshape(-1)
        if ids.numel() == 1:
            ids = ids.expand(batch)
        if ids.numel() != batch:
            raise ValueError(f"bandwidth_id has {ids.numel()} entries for a batch of {batch}: give (B,) or (1,)")
        if bool((ids < 0).any()) or bool((ids >= self.adanorm_num_embeddings).any()):
            raise ValueError(
                f"bandwidth_id {ids.tolist()} out of range [0, {self.adanorm_num_embeddings}) "
                "set by decoder.adanorm_num_embeddings"
            )
        return ids

    def forward(self, z_q: Tensor, bandwidth_id: Tensor | None = None) -> Tensor:
        if z_q.dim() != 3 or z_q.shape[1] != self.latent_dim:
            raise ValueError(
                f"VocosDecoder expects (B, {self.latent_dim}, F) (decoder.latent_dim); got {tuple(z_q.shape)}"
            )
        cond = self._cond_ids(bandwidth_id, z_q.shape[0], z_q.device)
        x = self.embed(z_q)
        if self.pos_net is not None:
            x = self.pos_net(x)
        x = x.transpose(1, 2)
        x = self.norm(x, cond) if cond is not None else self.norm(x)
        x = x.transpose(1, 2)
        for block in self.convnext:
            x = block(x, cond)
        return self.final_layer_norm(x.transpose(1, 2)).transpose(1, 2)


def _trunc_normal_init(m: nn.Module) -> None:
    if isinstance(m, (nn.Conv1d, nn.Linear)):
        nn.init.trunc_normal_(m.weight, std=0.02)
        nn.init.zeros_(m.bias)
