"""The quantizer contract (after audiocraft's BaseQuantizer + QuantizedResult, Copet et al. 2023).

A quantizer (or continuous bottleneck) maps encoder latents z (B, input_dim, F) to a QuantizerOutput
(src/types.py: z_q (B, output_dim, F), codes (B, n_q, F) int64 | None, aux_losses, metrics). Discrete
quantizers also encode to codes and decode them back, exactly: decode(encode(z)) == forward(z).z_q in eval.
"""

from __future__ import annotations

import abc
import math
from typing import ClassVar

import torch
from torch import Tensor, nn

from src.types import QuantizerOutput

AUX_LOSS_HOW = (
    "add a class attribute aux_loss_names = (...) naming every key of QuantizerOutput.aux_losses "
    "(() when it returns none)"
)


class Quantizer(nn.Module, abc.ABC):
    """z (B, input_dim, F), mask (B, F) bool | None, n_quantizers int | None -> QuantizerOutput.

    Declares `input_dim` (= encoder.latent_dim), `output_dim` (= decoder.latent_dim), `is_discrete`,
    `n_codebooks` (0 when continuous), `codebook_size` (None when continuous) and `aux_loss_names`: the
    exact keys of `aux_losses` it returns in training, so that the loss weights are checked before the
    first step (their names are the logged term names, e.g. "vq/commitment", "kl"). There is no default:
    every concrete class states its own, `()` when it returns none.
    """

    REQUIRED: ClassVar[dict[str, str]] = {
        "input_dim": "set self.input_dim (= encoder.latent_dim) in __init__",
        "output_dim": "set self.output_dim (= decoder.latent_dim) in __init__",
        "is_discrete": "add a class attribute is_discrete = True / False",
        "n_codebooks": "set n_codebooks (0 for a continuous bottleneck)",
        "codebook_size": "set codebook_size (None for a continuous bottleneck)",
        "aux_loss_names": AUX_LOSS_HOW,
    }
    is_discrete: bool
    aux_loss_names: tuple[str, ...]

    @abc.abstractmethod
    def forward(self, z: Tensor, mask: Tensor | None = None, n_quantizers: int | None = None) -> QuantizerOutput:
        """z: (B, input_dim, F) -> QuantizerOutput(z_q (B, output_dim, F), codes, aux_losses, metrics)."""


def check_output_dim(name: str, output_dim: int | None, expected: int) -> int:
    """Validate the wiring key `quantizer.output_dim` against what the module produces."""
    if output_dim is not None and int(output_dim) != int(expected):
        raise ValueError(
            f"quantizer {name}: output_dim={output_dim} but this bottleneck outputs {expected} channels; "
            f"set `quantizer.output_dim: {expected}` (or leave the preset's interpolation)"
        )
    return int(expected)


def check_mask(mask: Tensor | None, z: Tensor) -> Tensor | None:
    """mask: (B, F) bool of valid frames (or None) -> bool mask, validated against z: (B, D, F)."""
    if mask is None:
        return None
    if mask.shape != (z.shape[0], z.shape[-1]):
        raise ValueError(f"quantizer mask must be (B, F) = {(z.shape[0], z.shape[-1])}; got {tuple(mask.shape)}")
    return mask.bool()


class DiscreteQuantizer(Quantizer):
    """Discrete quantizers with `n_codebooks` codebooks of `codebook_size` codes each.

    encode(z (B, input_dim, F), n_quantizers) -> codes (B, n_q, F) int64; decode(codes (B, k, F), any
    k <= n_codebooks) -> z_q (B, output_dim, F), summing the first k codebooks as forward does.
    """

    is_discrete = True
    n_codebooks: int
    codebook_size: int

    def resolve_n(self, n_quantizers: int | None) -> int:
        if n_quantizers is None:
            return self.n_codebooks
        n = int(n_quantizers)
        if not 1 <= n <= self.n_codebooks:
            raise ValueError(f"n_quantizers={n} must be in [1, n_codebooks={self.n_codebooks}]")
        return n

    def bits_per_frame(self, n_quantizers: int | None = None) -> float:
        """Nominal bits per latent frame: sum of log2 codebook sizes over the codebooks used."""
        return self.resolve_n(n_quantizers) * math.log2(self.codebook_size)

    def check_codes(self, codes: Tensor) -> int:
        """codes: (B, k, F) integer, k <= n_codebooks, each in [0, codebook_size) -> k."""
        if codes.dim() != 3 or codes.dtype not in (torch.int64, torch.int32):
            raise ValueError(f"codes must be (B, k, F) int64; got {tuple(codes.shape)} {codes.dtype}")
        k = codes.shape[1]
        if not 1 <= k <= self.n_codebooks:
            raise ValueError(f"codes hold {k} codebooks; this quantizer has n_codebooks={self.n_codebooks}")
        if codes.numel() and (codes.min() < 0 or codes.max() >= self.codebook_size):
            raise ValueError(f"codes out of range [0, {self.codebook_size})")
        return k

    @abc.abstractmethod
    def encode(self, z: Tensor, n_quantizers: int | None = None) -> Tensor:
        """z: (B, input_dim, F) -> codes: (B, n_q, F) int64, n_q = n_quantizers or n_codebooks."""

    @abc.abstractmethod
    def decode(self, codes: Tensor) -> Tensor:
        """codes: (B, k, F) int64, 1 <= k <= n_codebooks -> z_q: (B, output_dim, F)."""


class ContinuousBottleneck(Quantizer):
    """Continuous bottlenecks: no codes, no codebooks, no nominal bitrate. forward returns codes=None;
    the Codec's "codes" for them are the bottleneck latents z_q (B, output_dim, F)."""

    is_discrete = False
    n_codebooks = 0
    codebook_size = None

    def __init__(self, input_dim: int, output_dim: int | None, produced: int | None = None) -> None:
        super().__init__()
        self.input_dim = int(input_dim)
        expected = self.input_dim if produced is None else int(produced)
        self.output_dim = check_output_dim(type(self).__name__, output_dim, expected)

    def check(self, z: Tensor, mask: Tensor | None, n_quantizers: int | None) -> Tensor | None:
        if z.dim() != 3 or z.shape[1] != self.input_dim:
            raise ValueError(f"{type(self).__name__} expects z (B, {self.input_dim}, F); got {tuple(z.shape)}")
        if n_quantizers is not None:
            raise ValueError(f"{type(self).__name__} is continuous: n_quantizers must be None")
        return check_mask(mask, z)


class EagerWarmup:
    """Compile support for a quantizer with a once-per-run step that cannot be traced (an EMA codebook's
    k-means init on the first training batch: host reads, a CPU generator, variable-size gathers).

    `compile(...)` (nn.Module.compile's place, torch.compile's arguments) compiles `_quantize`, not
    `forward`: forward calls `run_quantize`, an eager dispatch that runs `_quantize` uncompiled while
    `warming_up(n)` is True in training, and the compiled graph otherwise. `warming_up` reads Python state
    only (no tensor: a read would sync the device every step), so with fullgraph=True no step breaks a graph,
    and once warmed up none recompiles. Subclasses define
      _quantize(z (B, input_dim, F), mask (B, F) | None, n: int) -> QuantizerOutput
      warming_up(n: int) -> bool
    """

    _compiled_quantize = None  # set by compile()

    def compile(self, *args, **kwargs) -> None:
        if kwargs.get("backend", "inductor") == "inductor" and not kwargs.get("options"):
            # torch 2.13's inductor fused the EMA codebooks' kernels across residual stages into CPU code that
            # wrote out of bounds (heap corruption) once dead-code replacement met a second codebook; without
            # fusion it is correct (tests/quantizer/test_compiled_quantizers.py, slow)
            kwargs["options"] = {"max_fusion_size": 1}
            kwargs.pop("mode", None)  # torch.compile takes a mode or options, not both
        self._compiled_quantize = torch.compile(self._quantize, *args, **kwargs)

    def run_quantize(self, z: Tensor, mask: Tensor | None, n: int) -> QuantizerOutput:
        if self.training and self.warming_up(n):
            return self._quantize(z, mask, n)  # eager: the once-per-run step happens here
        return (self._compiled_quantize or self._quantize)(z, mask, n)
