"""The encoder contract (role bases after Vocos, Siuzdak 2023): waveform in, latent frames out."""

from __future__ import annotations

import abc
from typing import ClassVar

from torch import Tensor, nn


class Encoder(nn.Module, abc.ABC):
    """wav (B, C, T), T a multiple of `hop_length` (the Codec pads) -> z (B, latent_dim, T / hop_length).

    Declares `hop_length` (samples per latent frame; the Codec checks it equals decoder.upsample x
    head.upsample) and `latent_dim` (D, must equal quantizer.input_dim).
    A subclass that also inherits a shared trunk lists the trunk first (`class X(StridedEncoder, Encoder)`)
    so that the trunk's forward is found before this abstract one.
    """

    REQUIRED: ClassVar[dict[str, str]] = {
        "hop_length": "set self.hop_length (samples per latent frame) in __init__",
        "latent_dim": "set self.latent_dim (channels of z, = quantizer.input_dim) in __init__",
    }

    @abc.abstractmethod
    def forward(self, wav: Tensor) -> Tensor:
        """wav: (B, C, T) -> z: (B, latent_dim, T / hop_length)."""
