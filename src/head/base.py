"""The output-head contract (Vocos' FourierHead role, Siuzdak 2023): decoder features in, waveform out."""

from __future__ import annotations

import abc
from typing import ClassVar

from torch import Tensor, nn


class Head(nn.Module, abc.ABC):
    """h (B, in_dim, F') -> wav_hat (B, C, F' * upsample).

    Declares `in_dim` (= decoder.out_dim) and `upsample` (samples per input frame: 1 for a waveform
    head, the hop for ISTFT/IMDCT heads). The Codec crops wav_hat to the input length.
    """

    REQUIRED: ClassVar[dict[str, str]] = {
        "in_dim": "set self.in_dim (channels of h, = decoder.out_dim) in __init__",
        "upsample": "set self.upsample (samples per input frame) as a class attribute or in __init__",
    }

    @abc.abstractmethod
    def forward(self, h: Tensor) -> Tensor:
        """h: (B, in_dim, F') -> wav_hat: (B, C, F' * upsample)."""
