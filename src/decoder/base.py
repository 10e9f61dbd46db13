"""The decoder contract (Vocos' Backbone role, Siuzdak 2023): latent frames in, head features out."""

from __future__ import annotations

import abc
from typing import ClassVar

from torch import Tensor, nn


class Decoder(nn.Module, abc.ABC):
    """z_q (B, latent_dim, F) -> h (B, out_dim, F * upsample); the head turns h into a waveform.

    Declares `latent_dim` (= quantizer.output_dim), `out_dim` (= head.in_dim) and `upsample` (F' / F;
    1 for frame-rate backbones such as Vocos). `bandwidth_id` (B,) long conditions multi-bandwidth
    decoders (AdaLayerNorm); others ignore it. List a shared trunk first: `class X(StridedDecoder, Decoder)`.
    """

    REQUIRED: ClassVar[dict[str, str]] = {
        "latent_dim": "set self.latent_dim (channels of z_q, = quantizer.output_dim) in __init__",
        "out_dim": "set self.out_dim (channels of h, = head.in_dim) in __init__",
        "upsample": "set self.upsample (output frames per latent frame, 1 for none) in __init__",
    }

    @abc.abstractmethod
    def forward(self, z_q: Tensor, bandwidth_id: Tensor | None = None) -> Tensor:
        """z_q: (B, latent_dim, F) -> h: (B, out_dim, F * upsample)."""
