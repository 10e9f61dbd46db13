"""Typed boundaries between components (see shared/DESIGN.md).

Every component returns one of these dataclasses, never a tuple whose length
depends on flags. Tensors are channel-first at every boundary.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import Tensor


@dataclass
class QuantizerOutput:
    """What a quantizer or continuous bottleneck returns.

    z_q: (B, D_out, F) quantized (or sampled) latent, straight-through in training.
    codes: (B, n_q, F) int64 for discrete quantizers; None for continuous bottlenecks.
    aux_losses: named loss terms, e.g. {"vq/commitment": scalar, "vq/codebook": scalar, "kl": scalar}.
    metrics: named scalars for logging only (utilization, perplexity, ...); never backpropagated.
    """

    z_q: Tensor
    codes: Tensor | None = None
    aux_losses: dict[str, Tensor] = field(default_factory=dict)
    metrics: dict[str, Tensor | float] = field(default_factory=dict)


@dataclass
class CodecOutput:
    """What Codec.forward returns.

    wav_hat: (B, C, T) reconstruction, cropped to the input length.
    codes: (B, n_q, F) int64, or None for continuous bottlenecks.
    z: (B, D_in, F) encoder output; z_q: (B, D_out, F) bottleneck output.
    """

    wav_hat: Tensor
    codes: Tensor | None
    z: Tensor
    z_q: Tensor
    aux_losses: dict[str, Tensor] = field(default_factory=dict)
    metrics: dict[str, Tensor | float] = field(default_factory=dict)


@dataclass
class DiscriminatorOutput:
    """One discriminator applied to ONE waveform.

    logits: one tensor per sub-discriminator (any shape, batch first).
    fmaps: per sub-discriminator, the list of its intermediate feature maps.
    """

    logits: list[Tensor]
    fmaps: list[list[Tensor]]

    def __post_init__(self) -> None:
        if len(self.logits) != len(self.fmaps):
            raise ValueError(f"DiscriminatorOutput: {len(self.logits)} logits but {len(self.fmaps)} feature-map lists")


def scalar(x: Tensor | float) -> float:
    """Detach a logging value to a Python float."""
    return float(x.detach().float().mean()) if isinstance(x, torch.Tensor) else float(x)
