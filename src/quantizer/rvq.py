"""Residual VQ over EMA codebooks (SoundStream, Zeghidour et al. 2021; EnCodec, Défossez et al. 2022),
with the XY-Tokenizer options: rvq_dim / codebook_dim projections and skip_rvq_ratio."""

from __future__ import annotations

import torch
from torch import Tensor, nn

from src.nn.conv import WNConv1d
from src.quantizer.base import EagerWarmup
from src.quantizer.codebook import EMACodebook
from src.quantizer.common import (
    LayerOutput,
    ResidualQuantizer,
    check_mask,
    full_precision,
    straight_through,
)
from src.types import QuantizerOutput


def projection(a: int, b: int) -> nn.Module:
    """1x1 weight-normed conv when the widths differ (as in DAC / XY-Tokenizer), else identity."""
    return WNConv1d(a, b, kernel_size=1) if a != b else nn.Identity()


class EMAQuantizerLayer(nn.Module):
    """One residual stage: optional projection to codebook_dim, EMA codebook lookup, commitment loss.

    forward(x: (B, D, F), active: (B, F) bool | None, update) -> LayerOutput (out (B, D, F)).
    """

    def __init__(
        self,
        dim: int,
        codebook_size: int,
        codebook_dim: int,
        commitment_weight: float = 1.0,
        **codebook_kwargs,
    ) -> None:
        super().__init__()
        self.in_proj, self.out_proj = projection(dim, codebook_dim), projection(codebook_dim, dim)
        self.codebook = EMACodebook(codebook_dim, codebook_size, **codebook_kwargs)
        self.commitment_weight = float(commitment_weight)

    def forward(self, x: Tensor, active: Tensor | None = None, update: bool = True) -> LayerOutput:
        e = self.in_proj(x)  # (B, Dc, F)
        B, Dc, Fr = e.shape
        flat = e.detach().transpose(1, 2).reshape(B * Fr, Dc)
        valid = None if active is None else active.reshape(B * Fr)
        q, codes, metrics = self.codebook(flat, valid, update=update)
        q = q.to(e.dtype).view(B, Fr, Dc).transpose(1, 2)
        commit = (e - q).pow(2).mean(dim=1) * self.commitment_weight  # (B, F); q carries no grad
        out = self.out_proj(straight_through(q, e).contiguous())
        return LayerOutput(out, codes.view(B, Fr), {"vq/commitment": commit}, metrics)

    def decode(self, codes: Tensor) -> Tensor:
        """codes: (B, F) -> (B, D, F)."""
        q = self.codebook.embed[codes].transpose(1, 2)
        return self.out_proj(q.contiguous())


class ResidualVQ(EagerWarmup, ResidualQuantizer):
    """z: (B, input_dim, F) -> z_q: (B, output_dim, F), codes (B, n_q, F).

    input_dim -> rvq_dim (input_proj) -> residual stages in rvq_dim, each quantizing a codebook_dim
    projection -> output_dim (output_proj). Projections are identities where the widths agree.
    """

    aux_loss_names = ("vq/commitment",)

    def __init__(
        self,
        input_dim: int,
        output_dim: int | None = None,
        rvq_dim: int | None = None,
        n_codebooks: int = 8,
        codebook_size: int = 1024,
        codebook_dim: int | None = None,
        decay: float = 0.99,
        epsilon: float = 1e-5,
        kmeans_init: bool = True,
        kmeans_iters: int = 50,
        threshold_ema_dead: float = 2.0,
        quantizer_dropout: float = 0.0,
        skip_rvq_ratio: float = 0.0,
        commitment_weight: float = 1.0,
        usage_window: int = 100,
        seed: int = 0,
    ) -> None:
        super().__init__()
        self.check_args(n_codebooks, quantizer_dropout=quantizer_dropout, skip_rvq_ratio=skip_rvq_ratio)
        self.input_dim = int(input_dim)
        self.output_dim = int(output_dim or input_dim)
        self.rvq_dim = int(rvq_dim or input_dim)
        self.codebook_dim = int(codebook_dim or self.rvq_dim)
        self.n_codebooks, self.codebook_size = int(n_codebooks), int(codebook_size)
        self.quantizer_dropout, self.skip_rvq_ratio = (
            float(quantizer_dropout),
            float(skip_rvq_ratio),
        )
        self.input_proj = projection(self.input_dim, self.rvq_dim)
        self.output_proj = projection(self.rvq_dim, self.output_dim)
        self.layers = nn.ModuleList(
            EMAQuantizerLayer(
                self.rvq_dim,
                codebook_size,
                self.codebook_dim,
                commitment_weight,
                decay=decay,
                epsilon=epsilon,
                kmeans_init=kmeans_init,
                kmeans_iters=kmeans_iters,
                threshold_ema_dead=threshold_ema_dead,
                usage_window=usage_window,
                seed=seed + i,
            )
            for i in range(self.n_codebooks)
        )

    def _skip_mask(self, batch: int, device: torch.device) -> Tensor | None:
        """XY-Tokenizer: a skip_rvq_ratio share of samples bypasses quantization (never all of them)."""
        if self.skip_rvq_ratio <= 0:
            return None
        skip = torch.rand(batch, device=device) < self.skip_rvq_ratio
        skip[0] = skip[0] & ~skip.all()  # tensor ops, no host read: compile-clean
        return skip

    @full_precision
    def forward(self, z: Tensor, mask: Tensor | None = None, n_quantizers: int | None = None) -> QuantizerOutput:
        """z: (B, input_dim, F); mask: (B, F) bool, True = real frame (padded frames never update
        codebooks nor count in losses). Compiled by `compile` (EagerWarmup) except while a codebook awaits
        its k-means init."""
        return self.run_quantize(z, mask, self.resolve_n(n_quantizers))

    def warming_up(self, n: int) -> bool:
        """A codebook used by this call awaits its k-means init (host reads, once per run)."""
        return not all(layer.codebook.ready for layer in self.layers[:n])

    def _quantize(self, z: Tensor, mask: Tensor | None, n_use: int) -> QuantizerOutput:
        """forward's work, in float32 (forward set it): z (B, input_dim, F) -> QuantizerOutput (n codebooks)."""
        mask = check_mask(mask, z)
        x = self.input_proj(z)
        skip = self._skip_mask(x.shape[0], x.device) if self.training else None
        out = self.residual(x, mask, n_use, train=self.training, skip=skip)
        out.z_q = self.output_proj(out.z_q)
        return out

    @torch.no_grad()
    @full_precision
    def encode(self, z: Tensor, n_quantizers: int | None = None) -> Tensor:
        """z: (B, input_dim, F) -> codes (B, n_q, F) int64; never updates statistics."""
        x = self.input_proj(z)
        return self.residual(x, None, self.resolve_n(n_quantizers), train=False).codes

    @full_precision
    def decode(self, codes: Tensor) -> Tensor:
        """codes: (B, k, F), k <= n_codebooks -> z_q (B, output_dim, F) from the first k codebooks."""
        return self.output_proj(self.residual_decode(codes))
