"""SEANet encoder of EnCodec (Défossez et al. 2022, "High Fidelity Neural Audio Compression")."""

from __future__ import annotations

import math
from collections.abc import Sequence

from torch import Tensor, nn

from src.encoder.base import Encoder
from src.nn.activations import activation_factory
from src.nn.conv import SConv1d, resolve_pad_mode
from src.nn.init import check_init, kaiming_init_
from src.nn.lstm import SLSTM
from src.nn.resblocks import SEANetResBlock


class SEANetEncoder(Encoder):
    """wav (B, channels, T) -> z (B, latent_dim, T / hop), hop = prod(ratios).

    `ratios` are given in DECODER order (EnCodec's convention, e.g. [8, 5, 4, 2]) and used reversed,
    so one list configures both sides. Width doubles at every downsampling: n_filters * 2**len(ratios)
    channels feed the LSTM and the final conv. `causal` pads every conv on the left only, so frame f
    depends on samples < (f + 1) * hop (streamable, as in EnCodec 24 kHz).
    """

    def __init__(
        self,
        channels: int = 1,
        latent_dim: int = 128,
        n_filters: int = 32,
        ratios: Sequence[int] = (8, 5, 4, 2),
        n_residual_layers: int = 1,
        activation: str = "elu",
        activation_params: dict | None = None,
        norm: str = "weight_norm",
        kernel_size: int = 7,
        last_kernel_size: int = 7,
        residual_kernel_size: int = 3,
        dilation_base: int = 2,
        causal: bool = False,
        pad_mode: str | None = None,
        true_skip: bool = False,
        compress: int = 2,
        lstm: int = 2,
        init: str = "torch",
    ) -> None:
        super().__init__()
        check_init(init, "encoder.init")
        if not ratios or any(int(r) < 1 for r in ratios):
            raise ValueError(f"encoder.ratios must be a non-empty list of positive ints, got {ratios}")
        self.channels, self.latent_dim = int(channels), int(latent_dim)
        self.ratios = [int(r) for r in reversed(list(ratios))]
        self.hop_length = math.prod(self.ratios)
        act = activation_factory(activation, **(activation_params or {}))
        pad_mode = resolve_pad_mode(pad_mode, causal, "encoder.pad_mode")
        conv = {"causal": causal, "norm": norm, "pad_mode": pad_mode}

        width = n_filters
        layers: list[nn.Module] = [SConv1d(channels, width, kernel_size, **conv)]
        for ratio in self.ratios:
            layers += [
                SEANetResBlock(width, act, residual_kernel_size, dilation_base**j, compress, true_skip, **conv)
                for j in range(n_residual_layers)
            ]
            # kernel 2 x stride: each output frame sees two strides of input
            layers += [act(width), SConv1d(width, 2 * width, 2 * ratio, stride=ratio, **conv)]
            width *= 2
        if lstm:
            layers.append(SLSTM(width, num_layers=lstm))
        layers += [act(width), SConv1d(width, latent_dim, last_kernel_size, **conv)]
        self.model = nn.Sequential(*layers)
        if init == "kaiming":  # see src/nn/init.py: keeps z input-dependent at init (docs/collapse.md)
            kaiming_init_(self.model)

    def forward(self, wav: Tensor) -> Tensor:
        """wav: (B, channels, T) -> z: (B, latent_dim, ceil(T / hop_length))."""
        if wav.dim() != 3 or wav.shape[1] != self.channels:
            raise ValueError(f"SEANetEncoder expects (B, {self.channels}, T), got {tuple(wav.shape)}")
        return self.model(wav)
