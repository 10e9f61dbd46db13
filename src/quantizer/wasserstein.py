"""Wasserstein (MMD) bottleneck of stable-audio-tools (Evans et al. 2024), after WAE (Tolstikhin et al. 2018)."""

from __future__ import annotations

import torch
from torch import Tensor

from src.quantizer.common import ContinuousBottleneck, full_precision
from src.types import QuantizerOutput


def mean_kernel(x: Tensor, y: Tensor) -> Tensor:
    """Mean of exp(-||x_i - y_j||^2 / D^2) over all pairs (stable-audio-tools' kernel: mean over D,
    then / D). x: (N, D), y: (M, D); pairwise distances by one matrix product."""
    d = x.shape[1]
    sq = (x.pow(2).sum(1)[:, None] + y.pow(2).sum(1)[None] - 2 * x @ y.t()).clamp(min=0)
    return torch.exp(-sq / (d * d)).mean()


def mmd(latents: Tensor) -> Tensor:
    """latents: (N, D) -> MMD between them and N draws of a standard normal."""
    noise = torch.randn_like(latents)
    return mean_kernel(latents, latents) + mean_kernel(noise, noise) - 2 * mean_kernel(latents, noise)


class Wasserstein(ContinuousBottleneck):
    """z: (B, D, F) -> z_q (B, D + noise_augment_dim, F); `mmd` term in training only (off at inference).

    noise_augment_dim > 0 appends that many channels of N(0, 1) noise for the decoder, in training
    and at inference alike (stable-audio-tools adds it in decode).
    """

    aux_loss_names = ("mmd",)

    def __init__(
        self,
        input_dim: int,
        output_dim: int | None = None,
        noise_augment_dim: int = 0,
        bypass_mmd: bool = False,
    ) -> None:
        super().__init__(input_dim, output_dim, produced=int(input_dim) + int(noise_augment_dim))
        self.noise_augment_dim, self.bypass_mmd = int(noise_augment_dim), bool(bypass_mmd)

    @full_precision
    def forward(self, z: Tensor, mask: Tensor | None = None, n_quantizers: int | None = None) -> QuantizerOutput:
        mask = self.check(z, mask, n_quantizers)
        aux = {}
        if self.training and not self.bypass_mmd:
            flat = z.transpose(1, 2).reshape(-1, z.shape[1])
            aux["mmd"] = mmd(flat if mask is None else flat[mask.reshape(-1)])
        z_q = z
        if self.noise_augment_dim:
            noise = torch.randn(z.shape[0], self.noise_augment_dim, z.shape[-1], device=z.device, dtype=z.dtype)
            z_q = torch.cat([z, noise], dim=1)
        return QuantizerOutput(z_q, None, aux)
