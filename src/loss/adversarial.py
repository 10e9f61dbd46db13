"""GAN objectives over DiscriminatorOutputs: LSGAN (Mao et al. 2017, HiFi-GAN/DAC) and hinge (EnCodec/MelGAN),
plus feature matching (Kumar et al. 2019, MelGAN). The discriminator sees ONE waveform; this module
decides what is real, fake and detached.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from src.types import DiscriminatorOutput

KINDS = ("lsgan", "hinge")


def _per_logit(outputs: list[DiscriminatorOutput]) -> list[Tensor]:
    return [logit for out in outputs for logit in out.logits]


class AdversarialLoss(nn.Module):
    """kind: 'lsgan' | 'hinge'. reduction over sub-discriminators: 'sum' (HiFi-GAN, DAC) or 'mean' (EnCodec).

    feature_matching: add `adv/feat`, the L1 distance between the fake and (detached) real feature maps,
    averaged over layers; `relative_feature_matching` divides each layer's L1 by mean |real| (EnCodec).
    """

    def __init__(
        self,
        kind: str = "lsgan",
        feature_matching: bool = True,
        relative_feature_matching: bool = False,
        reduction: str = "sum",
    ) -> None:
        super().__init__()
        if kind not in KINDS:
            raise ValueError(f"loss.adversarial.kind={kind!r}: choose one of {KINDS}")
        if reduction not in ("sum", "mean"):
            raise ValueError(f"loss.adversarial.reduction={reduction!r}: choose 'sum' or 'mean'")
        self.kind, self.feature_matching = kind, feature_matching
        self.relative_feature_matching, self.reduction = relative_feature_matching, reduction

    @property
    def term_names(self) -> tuple[str, ...]:
        """Generator-side terms this loss produces, as logged."""
        return ("adv/gen", "adv/feat") if self.feature_matching else ("adv/gen",)

    def _reduce(self, values: list[Tensor]) -> Tensor:
        stacked = torch.stack(values)
        return stacked.sum() if self.reduction == "sum" else stacked.mean()

    def discriminator_loss(self, real: list[DiscriminatorOutput], fake: list[DiscriminatorOutput]) -> Tensor:
        """real/fake: outputs on the real waveform and on the DETACHED reconstruction -> scalar."""
        values = []
        for r, f in zip(_per_logit(real), _per_logit(fake)):
            if self.kind == "lsgan":
                values.append(F.mse_loss(r, torch.ones_like(r)) + F.mse_loss(f, torch.zeros_like(f)))
            else:
                values.append(F.relu(1 - r).mean() + F.relu(1 + f).mean())
        return self._reduce(values)

    def generator_loss(self, real: list[DiscriminatorOutput], fake: list[DiscriminatorOutput]) -> dict[str, Tensor]:
        """fake: outputs on the reconstruction (with grad); real: outputs on the real waveform (detached here)."""
        fake_logits = _per_logit(fake)
        if self.kind == "lsgan":
            gen = self._reduce([F.mse_loss(f, torch.ones_like(f)) for f in fake_logits])
        else:
            gen = self._reduce([F.relu(1 - f).mean() for f in fake_logits])
        terms = {"adv/gen": gen}
        if self.feature_matching:
            terms["adv/feat"] = self._feature_matching(real, fake)
        return terms

    def _feature_matching(self, real: list[DiscriminatorOutput], fake: list[DiscriminatorOutput]) -> Tensor:
        per_sub = []
        for r_out, f_out in zip(real, fake):
            for r_maps, f_maps in zip(r_out.fmaps, f_out.fmaps):
                layers = []
                for r, f in zip(r_maps, f_maps):
                    r = r.detach()
                    dist = F.l1_loss(f, r)
                    if self.relative_feature_matching:
                        dist = dist / (r.abs().mean() + 1e-8)
                    layers.append(dist)
                per_sub.append(torch.stack(layers).mean())
        return self._reduce(per_sub)
