"""VAE bottleneck (Kingma & Welling 2014), as in stable-audio-tools' VAEBottleneck (Evans et al. 2024)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from src.quantizer.common import ContinuousBottleneck, masked_mean
from src.types import QuantizerOutput


class VAE(ContinuousBottleneck):
    """z: (B, 2D, F) split into mean and scale (channels [0, D) and [D, 2D)) -> sample (B, D, F).

    std = softplus(scale) + 1e-4 (stable-audio-tools); `kl` = sum over channels of
    mean^2 + var - log var - 1, averaged over valid frames (stable-audio-tools' form, without 1/2).
    In eval the mean is returned unless `sample_in_eval` (stable-audio-tools samples always).
    """

    aux_loss_names = ("kl",)

    def __init__(
        self, input_dim: int, output_dim: int | None = None, sample_in_eval: bool = False
    ) -> None:
        if int(input_dim) % 2:
            raise ValueError(
                f"quantizer.input_dim={input_dim} must be even (mean and scale halves); "
                "use `input_dim: ${mul:${latent_dim},2}`"
            )
        super().__init__(input_dim, output_dim, produced=int(input_dim) // 2)
        self.sample_in_eval = bool(sample_in_eval)

    def forward(
        self, z: Tensor, mask: Tensor | None = None, n_quantizers: int | None = None
    ) -> QuantizerOutput:
        mask = self.check(z, mask, n_quantizers)
        mean, scale = z.chunk(2, dim=1)
        std = F.softplus(scale) + 1e-4
        var = std * std
        kl_frames = (mean * mean + var - torch.log(var) - 1).sum(dim=1)  # (B, F)
        sample = self.training or self.sample_in_eval
        z_q = mean + std * torch.randn_like(mean) if sample else mean
        return QuantizerOutput(
            z_q, None, {"kl": masked_mean(kl_frames, mask)}, {"vae/std": std.detach().mean()}
        )
