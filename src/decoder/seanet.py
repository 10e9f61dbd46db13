"""SEANet decoder of EnCodec (Défossez et al. 2022), ending before the output conv (see head/waveform)."""

from __future__ import annotations

import math
from collections.abc import Sequence

from torch import Tensor, nn

from src.decoder.base import Decoder
from src.nn.activations import activation_factory
from src.nn.conv import SConv1d, SConvTranspose1d, resolve_pad_mode
from src.nn.lstm import SLSTM
from src.nn.resblocks import SEANetResBlock


class SEANetDecoder(Decoder):
    """z_q (B, latent_dim, F) -> h (B, n_filters, F * prod(ratios)).

    Mirror of SEANetEncoder: conv to n_filters * 2**len(ratios), LSTM, then per ratio an activation,
    a transposed conv (kernel 2 x ratio) halving the width, and residual blocks. The final activation
    + conv to audio channels is the waveform head, so `out_dim` = n_filters (checked against config).
    """

    def __init__(
        self,
        latent_dim: int = 128,
        out_dim: int = 32,
        n_filters: int = 32,
        ratios: Sequence[int] = (8, 5, 4, 2),
        n_residual_layers: int = 1,
        activation: str = "elu",
        activation_params: dict | None = None,
        norm: str = "weight_norm",
        kernel_size: int = 7,
        residual_kernel_size: int = 3,
        dilation_base: int = 2,
        causal: bool = False,
        pad_mode: str | None = None,
        true_skip: bool = False,
        compress: int = 2,
        lstm: int = 2,
        trim_right_ratio: float = 1.0,
    ) -> None:
        super().__init__()
        if int(out_dim) != int(n_filters):
            raise ValueError(
                f"decoder.out_dim={out_dim} but the SEANet decoder ends with "
                f"decoder.n_filters={n_filters} channels: set out_dim: ${{.n_filters}}"
            )
        if not ratios or any(int(r) < 1 for r in ratios):
            raise ValueError(f"decoder.ratios must be a non-empty list of positive ints, got {ratios}")
        self.latent_dim, self.out_dim = int(latent_dim), int(out_dim)
        self.ratios = [int(r) for r in ratios]
        self.upsample = math.prod(self.ratios)
        act = activation_factory(activation, **(activation_params or {}))
        pad_mode = resolve_pad_mode(pad_mode, causal, "decoder.pad_mode")
        conv = {"causal": causal, "norm": norm, "pad_mode": pad_mode}

        width = n_filters * 2 ** len(self.ratios)
        layers: list[nn.Module] = [SConv1d(latent_dim, width, kernel_size, **conv)]
        if lstm:
            layers.append(SLSTM(width, num_layers=lstm))
        for ratio in self.ratios:
            layers += [
                act(width),
                SConvTranspose1d(
                    width,
                    width // 2,
                    2 * ratio,
                    stride=ratio,
                    causal=causal,
                    norm=norm,
                    trim_right_ratio=trim_right_ratio,
                ),
            ]
            width //= 2
            layers += [
                SEANetResBlock(width, act, residual_kernel_size, dilation_base**j, compress, true_skip, **conv)
                for j in range(n_residual_layers)
            ]
        self.model = nn.Sequential(*layers)

    def forward(self, z_q: Tensor, bandwidth_id: Tensor | None = None) -> Tensor:
        """z_q: (B, latent_dim, F) -> h: (B, out_dim, F * upsample). bandwidth_id is unused here."""
        return self.model(z_q)
