"""VAE bottleneck (Kingma & Welling 2014), as in stable-audio-tools' VAEBottleneck (Evans et al. 2024)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from src.quantizer.common import ContinuousBottleneck, full_precision, masked_mean
from src.types import QuantizerOutput


class VAE(ContinuousBottleneck):
    """z: (B, 2D, F) split into mean and scale (channels [0, D) and [D, 2D)) -> sample (B, D, F).

    std = softplus(scale) + 1e-4 (stable-audio-tools); the aux loss `kl` = kl_weight x (sum over channels
    of mean^2 + var - log var - 1, averaged over valid frames: stable-audio-tools' form, without 1/2).
    The coefficient lives here, like `commitment_weight` on the VQs, so that a grid swapping the bottleneck
    never leaves a stray `loss.weights.kl`; the unweighted value is logged as `vae/kl`.
    In eval the mean is returned unless `sample_in_eval` (stable-audio-tools samples always).
    """

    aux_loss_names = ("kl",)

    def __init__(
        self,
        input_dim: int,
        output_dim: int | None = None,
        sample_in_eval: bool = False,
        kl_weight: float = 1.0,
    ) -> None:
        if int(input_dim) % 2:
            raise ValueError(
                f"quantizer.input_dim={input_dim} must be even (mean and scale halves); "
                "use `input_dim: ${mul:${latent_dim},2}`"
            )
        super().__init__(input_dim, output_dim, produced=int(input_dim) // 2)
        self.sample_in_eval = bool(sample_in_eval)
        if float(kl_weight) < 0:
            raise ValueError(f"quantizer.kl_weight={kl_weight} must be >= 0")
        self.kl_weight = float(kl_weight)

    @full_precision
    def forward(self, z: Tensor, mask: Tensor | None = None, n_quantizers: int | None = None) -> QuantizerOutput:
        mask = self.check(z, mask, n_quantizers)
        mean, scale = z.chunk(2, dim=1)
        std = F.softplus(scale) + 1e-4
        var = std * std
        kl_frames = (mean * mean + var - torch.log(var) - 1).sum(dim=1)  # (B, F)
        sample = self.training or self.sample_in_eval
        z_q = mean + std * torch.randn_like(mean) if sample else mean
        kl = masked_mean(kl_frames, mask)
        metrics = {"vae/std": std.detach().mean(), "vae/kl": kl.detach()}
        return QuantizerOutput(z_q, None, {"kl": kl * self.kl_weight}, metrics)
