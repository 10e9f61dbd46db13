"""Codec: encoder -> quantizer -> decoder -> head, with encode/decode and save/load.

Component contracts (checked at build time, see `_check_wiring`):
- encoder: forward(wav (B, C, T)) -> z (B, D, F); attributes `hop_length`, `latent_dim`.
- quantizer: forward(z (B, D, F), mask=None, n_quantizers=None) -> QuantizerOutput;
  encode(z) -> codes (B, n_q, F) int64; decode(codes) -> z_q; attributes `input_dim`,
  `output_dim`, `is_discrete`, `n_codebooks`, `codebook_size`.
- decoder: forward(z_q (B, D', F), bandwidth_id=None) -> h (B, H, F'); attributes
  `latent_dim`, `out_dim`, `upsample` (= F' / F).
- head: forward(h (B, H, F')) -> wav_hat (B, C, T); attributes `in_dim`, `upsample` (= T / F').
"""
from __future__ import annotations

import math
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from src.types import CodecOutput

WEIGHTS_FILE = "codec.safetensors"
CONFIG_FILE = "config.yaml"


class CodecWiringError(ValueError):
    """Raised when component sizes do not agree; the message names the config keys."""


class Codec(nn.Module):
    def __init__(
        self,
        encoder: nn.Module,
        quantizer: nn.Module,
        decoder: nn.Module,
        head: nn.Module,
        sample_rate: int,
        channels: int,
    ) -> None:
        super().__init__()
        self.encoder, self.quantizer, self.decoder, self.head = encoder, quantizer, decoder, head
        self.sample_rate = int(sample_rate)
        self.channels = int(channels)
        self._check_wiring()

    # ------------------------------------------------------------------ wiring
    def _check_wiring(self) -> None:
        enc, q, dec, head = self.encoder, self.quantizer, self.decoder, self.head
        up = int(dec.upsample) * int(head.upsample)
        if int(enc.hop_length) != up:
            raise CodecWiringError(
                f"encoder hop_length={enc.hop_length} but decoder.upsample x head.upsample = "
                f"{dec.upsample} x {head.upsample} = {up}: make the encoder strides (encoder.*) and "
                "the decoder strides / head hop (decoder.*, head.*) multiply to the same hop"
            )
        pairs = [
            ("encoder.latent_dim", enc.latent_dim, "quantizer.input_dim", q.input_dim),
            ("quantizer.output_dim", q.output_dim, "decoder.latent_dim", dec.latent_dim),
            ("decoder.out_dim", dec.out_dim, "head.in_dim", head.in_dim),
        ]
        for key_a, a, key_b, b in pairs:
            if int(a) != int(b):
                raise CodecWiringError(f"{key_a}={a} but {key_b}={b}: they must be equal")

    # --------------------------------------------------------------- properties
    @property
    def hop_length(self) -> int:
        return int(self.encoder.hop_length)

    @property
    def frame_rate(self) -> float:
        return self.sample_rate / self.hop_length

    @property
    def is_discrete(self) -> bool:
        return bool(self.quantizer.is_discrete)

    def codebook_sizes(self) -> list[int]:
        """Size of each codebook (empty for continuous bottlenecks)."""
        if not self.is_discrete:
            return []
        size = self.quantizer.codebook_size
        return list(size) if isinstance(size, (list, tuple)) else [int(size)] * int(self.quantizer.n_codebooks)

    def nominal_bitrate(self, n_quantizers: int | None = None) -> float | None:
        """frame_rate x sum(log2 codebook sizes) over the first n_quantizers codebooks, in bit/s."""
        sizes = self.codebook_sizes()
        if not sizes:
            return None
        sizes = sizes[: n_quantizers or len(sizes)]
        return self.frame_rate * sum(math.log2(s) for s in sizes)

    # ---------------------------------------------------------------- forward
    def pad_to_hop(self, wav: Tensor) -> Tensor:
        """wav: (B, C, T) -> (B, C, ceil(T / hop) * hop), zero-padded on the right."""
        extra = (-wav.shape[-1]) % self.hop_length
        return F.pad(wav, (0, extra)) if extra else wav

    def _check_input(self, wav: Tensor) -> None:
        if wav.dim() != 3 or wav.shape[1] != self.channels:
            raise ValueError(f"Codec expects wav of shape (B, {self.channels}, T); got {tuple(wav.shape)}")

    def forward(
        self,
        wav: Tensor,
        mask: Tensor | None = None,
        n_quantizers: int | None = None,
        bandwidth_id: Tensor | None = None,
    ) -> CodecOutput:
        """wav: (B, C, T); mask: optional (B, F) bool of valid frames -> CodecOutput (wav_hat (B, C, T))."""
        self._check_input(wav)
        length = wav.shape[-1]
        z = self.encoder(self.pad_to_hop(wav))
        q = self.quantizer(z, mask=mask, n_quantizers=n_quantizers)
        h = self.decoder(q.z_q, bandwidth_id=bandwidth_id)
        wav_hat = self.head(h)[..., :length]
        return CodecOutput(wav_hat, q.codes, z, q.z_q, dict(q.aux_losses), dict(q.metrics))

    @torch.no_grad()
    def encode(self, wav: Tensor, n_quantizers: int | None = None) -> Tensor:
        """wav: (B, C, T) -> codes (B, n_q, F) int64 with F = ceil(T / hop).

        For a continuous bottleneck the 'codes' are the bottleneck latents (B, D, F), float.
        """
        self._check_input(wav)
        z = self.encoder(self.pad_to_hop(wav))
        if not self.is_discrete:
            return self.quantizer(z).z_q
        return self.quantizer.encode(z, n_quantizers=n_quantizers)

    @torch.no_grad()
    def decode(self, codes: Tensor, length: int | None = None, bandwidth_id: Tensor | None = None) -> Tensor:
        """codes: (B, n_q, F) (any n_q <= n_codebooks) -> wav (B, C, F * hop), cropped to `length`."""
        z_q = self.quantizer.decode(codes) if self.is_discrete else codes
        wav = self.head(self.decoder(z_q, bandwidth_id=bandwidth_id))
        return wav[..., :length] if length is not None else wav

    # ------------------------------------------------------------------ save/load
    def save(self, path: str | Path) -> Path:
        """Write the weights as safetensors (no pickled code)."""
        from safetensors.torch import save_file

        path = Path(path)
        state = {k: v.detach().contiguous().cpu() for k, v in self.state_dict().items()}
        save_file(state, str(path))
        return path

    @classmethod
    def load(cls, run_dir_or_file: str | Path, map_location: str = "cpu", trusted_targets=()) -> Codec:
        """Build from the run's resolved config.yaml and load codec.safetensors.

        Accepts a run directory, or the path of a codec.safetensors whose config.yaml lies beside it. The
        config is data: it may only build the project's components (src/safe_instantiate.py), plus classes
        under the prefixes in trusted_targets (e.g. ["mylab.codecs"]) that you add because you trust them.
        """
        from safetensors.torch import load_file

        from src.build import build_codec, load_run_config

        path = Path(run_dir_or_file)
        weights = path / WEIGHTS_FILE if path.is_dir() else path
        config = weights.parent / CONFIG_FILE
        for needed in (weights, config):
            if not needed.exists():
                raise FileNotFoundError(
                    f"{needed} not found: Codec.load needs a run directory holding {WEIGHTS_FILE} and "
                    f"{CONFIG_FILE} (written at the end of `python -m src.train`)"
                )
        codec = build_codec(load_run_config(config, trusted_targets), trusted_targets)
        codec.load_state_dict(load_file(str(weights), device=map_location))
        return codec.eval()
