"""DAC's factorized residual VQ (Kumar et al. 2023, "High-Fidelity Audio Compression with Improved
RVQGAN"): low-dimensional projections, L2-normalised lookup, codebook learned by gradient."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from src.quantizer.common import (
    CodeUsage,
    LayerOutput,
    ResidualQuantizer,
    check_mask,
    check_output_dim,
    code_counts,
    full_precision,
    straight_through,
)
from src.quantizer.rvq import projection


class FactorizedLayer(nn.Module):
    """Project to codebook_dim, pick the code of highest cosine similarity, emit codebook + commitment
    losses, straight-through back, project up. x: (B, D, F) -> LayerOutput (out (B, D, F)).

    The lookup compares L2-normalised vectors but returns the raw codebook row, as DAC does.
    """

    def __init__(
        self,
        dim: int,
        codebook_size: int,
        codebook_dim: int,
        commitment_weight: float = 0.25,
        codebook_weight: float = 1.0,
        usage_window: int = 100,
    ) -> None:
        super().__init__()
        self.in_proj, self.out_proj = projection(dim, codebook_dim), projection(codebook_dim, dim)
        self.codebook = nn.Embedding(codebook_size, codebook_dim)
        self.commitment_weight, self.codebook_weight = (
            float(commitment_weight),
            float(codebook_weight),
        )
        self.usage = CodeUsage(codebook_size, usage_window)

    def lookup(self, e: Tensor) -> Tensor:
        """e: (B, Dc, F) -> codes (B, F): argmax cosine similarity (= argmin L2 of unit vectors)."""
        B, Dc, Fr = e.shape
        enc = F.normalize(e.detach().transpose(1, 2).reshape(B * Fr, Dc).float(), dim=1)
        cb = F.normalize(self.codebook.weight.detach().float(), dim=1)
        return (enc @ cb.t()).argmax(dim=1).view(B, Fr)

    def forward(self, x: Tensor, active: Tensor | None = None, update: bool = True) -> LayerOutput:
        e = self.in_proj(x)
        codes = self.lookup(e)
        q = self.codebook(codes).transpose(1, 2).to(e.dtype)  # (B, Dc, F), raw rows
        losses = {
            "vq/commitment": (e - q.detach()).pow(2).mean(dim=1) * self.commitment_weight,
            "vq/codebook": (q - e.detach()).pow(2).mean(dim=1) * self.codebook_weight,
        }
        counts = code_counts(codes, self.codebook.num_embeddings, active)  # fixed shape: compile-clean
        metrics = self.usage(counts, update=update and self.training)
        out = self.out_proj(straight_through(q.detach(), e).contiguous())
        return LayerOutput(out, codes, losses, metrics)

    def decode(self, codes: Tensor) -> Tensor:
        """codes: (B, F) -> (B, D, F)."""
        return self.out_proj(self.codebook(codes).transpose(1, 2).contiguous())


class DACResidualVQ(ResidualQuantizer):
    """z: (B, input_dim, F) -> z_q (B, input_dim, F), codes (B, n_q, F). DAC 44 kHz: 9 x 1024, dim 8."""

    aux_loss_names = ("vq/commitment", "vq/codebook")

    def __init__(
        self,
        input_dim: int,
        output_dim: int | None = None,
        n_codebooks: int = 9,
        codebook_size: int = 1024,
        codebook_dim: int = 8,
        quantizer_dropout: float = 0.0,
        commitment_weight: float = 0.25,
        codebook_weight: float = 1.0,
        usage_window: int = 100,
    ) -> None:
        super().__init__()
        self.check_args(n_codebooks, quantizer_dropout=quantizer_dropout)
        self.input_dim = int(input_dim)
        self.output_dim = check_output_dim(type(self).__name__, output_dim, self.input_dim)
        self.n_codebooks, self.codebook_size = int(n_codebooks), int(codebook_size)
        self.codebook_dim, self.quantizer_dropout = int(codebook_dim), float(quantizer_dropout)
        self.layers = nn.ModuleList(
            FactorizedLayer(
                self.input_dim,
                codebook_size,
                codebook_dim,
                commitment_weight,
                codebook_weight,
                usage_window,
            )
            for _ in range(self.n_codebooks)
        )

    @full_precision
    def forward(self, z: Tensor, mask: Tensor | None = None, n_quantizers: int | None = None):
        """z: (B, D, F); mask: (B, F) bool of real frames (padded frames count in no loss)."""
        mask = check_mask(mask, z)
        return self.residual(z, mask, self.resolve_n(n_quantizers), train=self.training)

    @torch.no_grad()
    @full_precision
    def encode(self, z: Tensor, n_quantizers: int | None = None) -> Tensor:
        """z: (B, D, F) -> codes (B, n_q, F) int64."""
        return self.residual(z, None, self.resolve_n(n_quantizers), train=False).codes

    @full_precision
    def decode(self, codes: Tensor) -> Tensor:
        """codes: (B, k, F), k <= n_codebooks -> z_q (B, D, F) from the first k codebooks."""
        return self.residual_decode(codes)
