"""Identity bottleneck (stable-audio-tools, Evans et al. 2024): a plain autoencoder latent."""

from __future__ import annotations

from torch import Tensor

from src.quantizer.base import ContinuousBottleneck
from src.types import QuantizerOutput


class Identity(ContinuousBottleneck):
    """z: (B, D, F) -> z_q = z."""

    aux_loss_names = ()  # no auxiliary loss: the reconstruction losses alone train it

    def __init__(self, input_dim: int, output_dim: int | None = None) -> None:
        super().__init__(input_dim, output_dim)

    def forward(self, z: Tensor, mask: Tensor | None = None, n_quantizers: int | None = None) -> QuantizerOutput:
        self.check(z, mask, n_quantizers)
        return QuantizerOutput(z)
