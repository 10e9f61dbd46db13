"""L2-normalisation bottleneck (stable-audio-tools, Evans et al. 2024): each frame on the unit sphere."""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor

from src.quantizer.base import ContinuousBottleneck
from src.types import QuantizerOutput


class L2Norm(ContinuousBottleneck):
    """z: (B, D, F) -> z / ||z||_2 over channels, per frame."""

    aux_loss_names = ()  # no auxiliary loss: the reconstruction losses alone train it

    def __init__(self, input_dim: int, output_dim: int | None = None, eps: float = 1e-12) -> None:
        super().__init__(input_dim, output_dim)
        self.eps = float(eps)

    def forward(self, z: Tensor, mask: Tensor | None = None, n_quantizers: int | None = None) -> QuantizerOutput:
        self.check(z, mask, n_quantizers)
        return QuantizerOutput(F.normalize(z, dim=1, eps=self.eps))
