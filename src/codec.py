"""Codec: encoder -> quantizer -> decoder -> head, with encode/decode and save (load: src.build.load_codec).

Component contracts: the abstract bases src/encoder/base.py, src/quantizer/base.py, src/decoder/base.py and
src/head/base.py (shapes in their docstrings). The Codec checks at build time that each component declares
its contract (`_check_contracts`, naming what is missing) and that sizes agree (`_check_wiring`).
"""

from __future__ import annotations

import numbers
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from src.contracts import ContractError, check_component
from src.decoder.base import Decoder
from src.encoder.base import Encoder
from src.head.base import Head
from src.metrics.bitrate import nominal_bitrate
from src.quantizer.base import AUX_LOSS_HOW, DiscreteQuantizer, Quantizer
from src.types import CodecOutput

WEIGHTS_FILE = "codec.safetensors"
CONFIG_FILE = "config.yaml"
PCM_SCALE = {torch.int16: 1.0 / 32768, torch.int32: 1.0 / 2**31}  # integer PCM full scale -> [-1, 1)


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
        self._check_contracts()
        self._check_wiring()

    # ------------------------------------------------------------------ wiring
    def _check_contracts(self) -> None:
        """Each component declares what its role's base asks for (ContractError naming the member)."""
        for role, part, base in (
            ("encoder", self.encoder, Encoder),
            ("quantizer", self.quantizer, Quantizer),
            ("decoder", self.decoder, Decoder),
            ("head", self.head, Head),
        ):
            check_component(role, part, base)
        q = self.quantizer
        if q.is_discrete:  # encode/decode are what Codec.encode/decode call
            check_component("quantizer", q, DiscreteQuantizer)
        names = q.aux_loss_names
        if not isinstance(names, tuple) or not all(isinstance(n, str) and n for n in names):
            raise ContractError(
                f"quantizer {type(q).__module__}.{type(q).__qualname__} declares "
                f"aux_loss_names={names!r}: {AUX_LOSS_HOW}"
            )

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
        return nominal_bitrate(self.frame_rate, sizes)

    # ---------------------------------------------------------------- forward
    def pad_to_hop(self, wav: Tensor) -> Tensor:
        """wav: (B, C, T) -> (B, C, ceil(T / hop) * hop), zero-padded on the right."""
        extra = (-wav.shape[-1]) % self.hop_length
        return F.pad(wav, (0, extra)) if extra else wav

    def _check_input(self, wav: Tensor) -> None:
        if wav.dim() != 3 or wav.shape[1] != self.channels:
            raise ValueError(f"Codec expects wav of shape (B, {self.channels}, T); got {tuple(wav.shape)}")

    def _param(self) -> Tensor:
        return next(self.parameters())

    def as_input(self, wav) -> Tensor:
        """wav: (B, C, T) tensor or numpy array -> float tensor on the codec's device and dtype, checked.

        int16 PCM is scaled by 1/32768 and int32 by 1/2^31 (full scale -> [-1, 1)); float16/32/64 are cast.
        Refused with a clear error: other dtypes, a wrong shape, an empty signal, NaN/Inf samples (the
        encoder would carry them into every later frame's codes).
        """
        if isinstance(wav, np.ndarray):
            wav = torch.from_numpy(np.ascontiguousarray(wav))
        if not isinstance(wav, Tensor):
            raise TypeError(f"Codec expects wav as a torch.Tensor or numpy array (B, C, T); got {type(wav).__name__}")
        if wav.dtype in PCM_SCALE:
            wav = wav.to(torch.float32) * PCM_SCALE[wav.dtype]
        elif not wav.dtype.is_floating_point:
            raise TypeError(
                f"Codec cannot take wav of dtype {wav.dtype}: give float audio in [-1, 1], or int16 / "
                "int32 PCM (scaled by 1/32768 / 1/2^31)"
            )
        self._check_input(wav)
        if wav.shape[-1] == 0:
            raise ValueError(f"wav is empty (shape {tuple(wav.shape)}): the codec needs at least one sample")
        bad = ~torch.isfinite(wav)
        if bad.any():
            b, c, t = (int(i) for i in bad.nonzero()[0])
            raise ValueError(
                f"wav holds {int(bad.sum())} non-finite sample(s) (NaN/Inf), the first at batch {b}, "
                f"channel {c}, sample {t}: the codes of that frame and every later one would be "
                "garbage. Clean the input (e.g. torch.nan_to_num) or drop the file"
            )
        param = self._param()
        return wav.to(device=param.device, dtype=param.dtype)

    def _as_codes(self, codes, length) -> Tensor:
        """codes: (B, n_q, F) (numpy accepted) -> tensor on the codec's device; refuses empty codes,
        non-finite latents and a `length` outside [1, F x hop]."""
        if isinstance(codes, np.ndarray):
            codes = torch.from_numpy(np.ascontiguousarray(codes))
        if not isinstance(codes, Tensor) or codes.dim() != 3:
            raise ValueError(f"codes must be a (B, n_q, F) tensor; got {getattr(codes, 'shape', type(codes))}")
        frames = codes.shape[-1]
        if frames == 0:
            raise ValueError(f"codes hold no frame (shape {tuple(codes.shape)}): nothing to decode")
        if not self.is_discrete:
            if not torch.isfinite(codes).all():
                raise ValueError("latents hold NaN/Inf: a continuous codec decodes finite latents only")
            codes = codes.to(self._param().dtype)
        if length is not None:
            if isinstance(length, Tensor) and length.dim() == 0 and not length.dtype.is_floating_point:
                length = int(length)
            if isinstance(length, bool) or not isinstance(length, numbers.Integral):
                raise TypeError(f"length must be an integer number of samples (or None); got {length!r}")
            most = frames * self.hop_length
            if not 1 <= length <= most:
                raise ValueError(
                    f"length={length} is impossible for {frames} frames: it must be in [1, {most}] "
                    f"(frames x hop = {frames} x {self.hop_length}); pass the encoded input's length "
                    "T, or None for all F x hop samples"
                )
        return codes.to(self._param().device)

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
    def encode(self, wav: Tensor, n_quantizers: int | None = None, chunk_seconds: float | None = None) -> Tensor:
        """wav: (B, C, T) -> codes (B, n_q, F) int64 with F = ceil(T / hop).

        For a continuous bottleneck the 'codes' are the bottleneck latents (B, D, F), float. `wav` may be a
        numpy array, float16/32/64 or int16/int32 PCM (see `as_input`); NaN/Inf and empty input are refused.
        chunk_seconds: encode that much at a time, with context, in bounded memory (src/chunked.py).
        """
        if chunk_seconds is not None:
            from src.chunked import encode_chunked

            return encode_chunked(self, wav, chunk_seconds, n_quantizers=n_quantizers)
        wav = self.as_input(wav)
        z = self.encoder(self.pad_to_hop(wav))
        if not self.is_discrete:
            return self.quantizer(z).z_q
        return self.quantizer.encode(z, n_quantizers=n_quantizers)

    @torch.no_grad()
    def decode(
        self,
        codes: Tensor,
        length: int | None = None,
        bandwidth_id: Tensor | None = None,
        chunk_seconds: float | None = None,
    ) -> Tensor:
        """codes: (B, n_q, F) (any n_q <= n_codebooks) -> wav (B, C, F * hop), cropped to `length`
        (1 <= length <= F * hop; anything else is an error, not a silent crop). chunk_seconds: decode that
        much at a time, with context, in bounded memory (src/chunked.py)."""
        if chunk_seconds is not None:
            from src.chunked import decode_chunked

            return decode_chunked(self, codes, chunk_seconds, length, bandwidth_id=bandwidth_id)
        codes = self._as_codes(codes, length)
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
