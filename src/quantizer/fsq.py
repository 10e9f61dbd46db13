"""Finite scalar quantization (Mentzer et al. 2023, "Finite Scalar Quantization: VQ-VAE Made Simple")."""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from src.quantizer.common import (
    CodeUsage,
    DiscreteQuantizer,
    check_mask,
    check_output_dim,
    code_counts,
    full_precision,
    straight_through,
)
from src.types import QuantizerOutput


class FSQ(DiscreteQuantizer):
    """Each of len(levels) channels is bounded and rounded to `levels[i]` values; the implicit codebook
    is their product (prod(levels) codes, one code per frame). No codebook, no auxiliary loss.

    z: (B, input_dim, F) -> project to len(levels) -> quantize -> project back -> z_q (B, input_dim, F).
    """

    aux_loss_names: tuple[str, ...] = ()

    def __init__(
        self,
        input_dim: int,
        output_dim: int | None = None,
        levels: list[int] = (8, 5, 5, 5),
        usage_window: int = 100,
    ) -> None:
        super().__init__()
        levels = [int(v) for v in levels]
        if not levels or min(levels) < 2:
            raise ValueError(f"quantizer.levels={levels} must be a non-empty list of integers >= 2")
        self.input_dim = int(input_dim)
        self.output_dim = check_output_dim("fsq", output_dim, self.input_dim)
        self.levels = levels
        self.codebook_dim = len(levels)
        self.n_codebooks, self.codebook_size = 1, int(math.prod(levels))
        lv = torch.tensor(levels, dtype=torch.float32)
        self.register_buffer("_levels", lv, persistent=False)
        basis = torch.cumprod(torch.tensor([1] + levels[:-1], dtype=torch.long), dim=0)
        self.register_buffer("_basis", basis, persistent=False)
        d = self.codebook_dim
        self.in_proj = nn.Conv1d(self.input_dim, d, 1) if self.input_dim != d else nn.Identity()
        self.out_proj = nn.Conv1d(d, self.input_dim, 1) if self.input_dim != d else nn.Identity()
        self.usage = CodeUsage(self.codebook_size, usage_window)

    def _bound(self, e: Tensor) -> Tensor:
        """e: (B, d, F) -> values in a range whose rounding gives exactly `levels` integers (centred)."""
        lv = self._levels[None, :, None]
        half_l = (lv - 1) * (1 + 1e-3) / 2
        offset = torch.where(lv % 2 == 0, 0.5, 0.0)
        shift = torch.atanh(offset / half_l)
        return torch.tanh(e + shift) * half_l - offset

    def _half_width(self) -> Tensor:
        return (self._levels // 2)[None, :, None]

    def _quantize(self, z: Tensor) -> tuple[Tensor, Tensor]:
        """z: (B, input_dim, F) -> normalised quantized values (B, d, F) in [-1, 1], codes (B, F)."""
        bounded = self._bound(self.in_proj(z).float())
        rounded = straight_through(bounded.round(), bounded)
        hw = self._half_width()
        digits = (rounded.detach() + hw).long()  # 0 .. levels-1 (even levels: hw + offset shift)
        codes = (digits * self._basis[None, :, None]).sum(dim=1)
        return rounded / hw, codes

    @full_precision
    def forward(self, z: Tensor, mask: Tensor | None = None, n_quantizers: int | None = None) -> QuantizerOutput:
        """z: (B, input_dim, F); mask: (B, F) bool of real frames (only used for usage metrics)."""
        mask = check_mask(mask, z)
        self.resolve_n(n_quantizers)
        q, codes = self._quantize(z)
        counts = code_counts(codes, self.codebook_size, mask)  # fixed shape: compile-clean
        stats = self.usage(counts, update=self.training)
        metrics = {f"vq/{k}/0": v for k, v in stats.items()}
        return QuantizerOutput(self.out_proj(q.to(z.dtype)), codes[:, None], {}, metrics)

    @torch.no_grad()
    @full_precision
    def encode(self, z: Tensor, n_quantizers: int | None = None) -> Tensor:
        """z: (B, input_dim, F) -> codes (B, 1, F) int64 in [0, prod(levels))."""
        self.resolve_n(n_quantizers)
        return self._quantize(z)[1][:, None]

    @full_precision
    def decode(self, codes: Tensor) -> Tensor:
        """codes: (B, 1, F) -> z_q (B, input_dim, F)."""
        self.check_codes(codes)
        idx = codes[:, 0].long()[:, None, :]  # (B, 1, F)
        digits = (idx // self._basis[None, :, None]) % self._levels.long()[None, :, None]
        hw = self._half_width()
        return self.out_proj(((digits.float() - hw) / hw).to(self.out_proj_dtype()))

    def out_proj_dtype(self) -> torch.dtype:
        w = getattr(self.out_proj, "weight", None)
        return w.dtype if w is not None else torch.float32
