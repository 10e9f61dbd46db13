"""The discriminator contract (HiFi-GAN's sub-discriminator sets, Kong et al. 2020): one waveform in."""

from __future__ import annotations

import abc
from typing import ClassVar

from torch import Tensor, nn

from src.contracts import check_component
from src.types import DiscriminatorOutput

# Normalisations whose output for one item depends on the other items of the batch (running/batch stats).
BATCH_STATISTICS = (nn.modules.batchnorm._BatchNorm,)


class Discriminator(nn.Module, abc.ABC):
    """wav (B, C, T) (ONE waveform, real or fake), bandwidth_id (B,) long | None -> DiscriminatorOutput
    with one logits tensor and one feature-map list per sub-discriminator.

    Declares `channels` (C). No batch statistics: the training step scores real and fake waveforms in ONE
    concatenated batch (src/training/steps.py: half the launches, one forward per backward under DDP), which
    is only the same as two separate passes when no layer mixes items of a batch. Use weight or spectral
    norm (HiFi-GAN, DAC), GroupNorm/LayerNorm, never BatchNorm: `check_no_batch_statistics` refuses it at
    build time.
    """

    REQUIRED: ClassVar[dict[str, str]] = {"channels": "set self.channels (audio channels of the input) in __init__"}

    @abc.abstractmethod
    def forward(self, wav: Tensor, bandwidth_id: Tensor | None = None) -> DiscriminatorOutput:
        """wav: (B, C, T) -> DiscriminatorOutput(logits: [per sub-discriminator], fmaps: [[...]])."""


def batch_statistics_modules(module: nn.Module) -> list[str]:
    """Qualified names of the submodules of `module` that normalise with batch statistics."""
    return [name or "<root>" for name, sub in module.named_modules() if isinstance(sub, BATCH_STATISTICS)]


def check_no_batch_statistics(name: str, disc: nn.Module) -> None:
    """Raise ValueError naming `discriminator.<name>` and the offending layers if any uses batch statistics."""
    offending = batch_statistics_modules(disc)
    if offending:
        raise ValueError(
            f"discriminator.{name} ({type(disc).__module__}.{type(disc).__qualname__}) normalises with batch "
            f"statistics in {offending}: the training step scores real and fake in one batch "
            "(src/training/steps.py), so replace them by weight_norm / GroupNorm / LayerNorm "
            "(see src/discriminator/base.py)"
        )


def check_discriminator(name: str, disc: nn.Module) -> None:
    """The build-time check of a discriminator: its declared contract, then the no-batch-statistics rule."""
    check_component(f"discriminator.{name}", disc, Discriminator)
    check_no_batch_statistics(name, disc)
