"""Long files in bounded memory: encode/decode in chunks with enough context on each side.

A frame's code depends on the input samples within the encoder's receptive field; an output sample depends
on the code frames within the decoder+head's. Chunks that carry that much context on each side give the
whole-file result (up to float rounding); chunks shorter than the context give codes that depend on the
chunk length (DAC's known chunked-inference artefact). Receptive fields are measured here from gradients
(`receptive_field`): exact for convolutions, STFTs and ConvNeXt stacks; an LSTM or attention reaches the
file's edge and is reported as unbounded, and then a fixed `context_seconds` is used (docs/speed_inference.md
gives the measured difference).
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass

import torch
from torch import Tensor, nn

DEFAULT_CONTEXT_SECONDS = 1.0  # used on a side whose receptive field is unbounded (LSTM, attention)
PROBE_FRAMES = (64, 256)  # probe lengths tried in turn; a field reaching the edge of the last is unbounded


@dataclass(frozen=True)
class Context:
    """Frames of context each side needs; None = unbounded (a recurrent or attention layer)."""

    left: int | None
    right: int | None

    def frames(self, fallback: int) -> tuple[int, int]:
        return (fallback if self.left is None else self.left, fallback if self.right is None else self.right)


def _support(grad: Tensor) -> tuple[int, int]:
    """grad: (1, C, N) -> (first, last) index with a non-zero gradient."""
    nz = (grad != 0).any(dim=1).any(dim=0).nonzero().flatten()  # NaN counts as reached
    return int(nz[0]), int(nz[-1])


def _probe(fn, n_in: int, channels: int, out_slice: slice, device, dtype) -> tuple[int, int]:
    gen = torch.Generator(device=device).manual_seed(0)  # a private stream: the caller's RNG is untouched
    x = torch.randn(1, channels, n_in, generator=gen, device=device, dtype=dtype).requires_grad_()
    with torch.enable_grad():
        fn(x)[..., out_slice].sum().backward()
    return _support(x.grad)


def _jittered(module: nn.Module) -> nn.Module:
    """A copy with every parameter nudged: a zero-initialised layer (a residual branch, a skip's output
    layer) would otherwise hide its part of the field from the gradient, which is structural."""
    copy_ = copy.deepcopy(module).eval()
    gen = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for p in copy_.parameters():
            p.add_(1e-2 * torch.randn(p.shape, generator=gen).to(p))
    return copy_


def receptive_field(codec) -> dict[str, Context]:
    """-> {"encoder": context in frames for one frame's code, "decoder": context in frames for one frame's
    samples}, measured by back-propagating from the middle frame of a random input through jittered
    copies of the encoder and of decoder + head (eval mode)."""
    hop, param = codec.hop_length, next(codec.parameters())
    encoder, decoder, head = _jittered(codec.encoder), _jittered(codec.decoder), _jittered(codec.head)
    result = {}
    for part in ("encoder", "decoder"):
        for frames in PROBE_FRAMES:
            mid = frames // 2
            if part == "encoder":
                lo, hi = _probe(encoder, frames * hop, codec.channels, slice(mid, mid + 1), param.device, param.dtype)
                left, right = math.ceil((mid * hop - lo) / hop), math.ceil((hi + 1 - (mid + 1) * hop) / hop)
                edge_lo, edge_hi = lo == 0, hi == frames * hop - 1
            else:

                def fn(z):
                    return head(decoder(z))

                lo, hi = _probe(
                    fn,
                    frames,
                    int(codec.decoder.latent_dim),
                    slice(mid * hop, (mid + 1) * hop),
                    param.device,
                    param.dtype,
                )
                left, right, edge_lo, edge_hi = mid - lo, hi - mid, lo == 0, hi == frames - 1
            if not (edge_lo or edge_hi):
                break
        result[part] = Context(None if edge_lo else max(left, 0), None if edge_hi else max(right, 0))
    return result


def _context(codec, part: str, context_seconds: float | None) -> tuple[int, int]:
    """Frames of (left, right) context for `part`: the measured field, or context_seconds if given."""
    if context_seconds is not None:
        n = math.ceil(context_seconds * codec.frame_rate)
        return n, n
    fields = getattr(codec, "_receptive_field", None)
    if fields is None:
        fields = receptive_field(codec)
        codec._receptive_field = fields  # cached: weights change values, never the field
    return fields[part].frames(math.ceil(DEFAULT_CONTEXT_SECONDS * codec.frame_rate))


def _chunk_frames(codec, chunk_seconds: float) -> int:
    if not chunk_seconds > 0:
        raise ValueError(f"chunk_seconds={chunk_seconds}: give a positive number of seconds")
    return max(1, round(chunk_seconds * codec.frame_rate))


def encode_chunked(
    codec, wav, chunk_seconds: float, context_seconds: float | None = None, n_quantizers: int | None = None
) -> Tensor:
    """wav: (B, C, T) -> codes (B, n_q, ceil(T / hop)), encoding chunk_seconds at a time plus context."""
    wav = codec.pad_to_hop(codec.as_input(wav))
    hop, n_frames, step = codec.hop_length, wav.shape[-1] // codec.hop_length, _chunk_frames(codec, chunk_seconds)
    left, right = _context(codec, "encoder", context_seconds)
    pieces = []
    for a in range(0, n_frames, step):
        b = min(n_frames, a + step)
        s, e = max(0, a - left), min(n_frames, b + right)  # clipped at the file's edges: same padding there
        codes = codec.encode(wav[..., s * hop : e * hop], n_quantizers=n_quantizers)
        pieces.append(codes[..., a - s : b - s])
    return torch.cat(pieces, dim=-1)


def decode_chunked(
    codec, codes, chunk_seconds: float, length: int | None = None, context_seconds: float | None = None, **decode_kwargs
) -> Tensor:
    """codes: (B, n_q, F) -> wav (B, C, F * hop) cropped to `length`, decoding chunk_seconds at a time."""
    codes = codec._as_codes(codes, length)
    hop, n_frames, step = codec.hop_length, codes.shape[-1], _chunk_frames(codec, chunk_seconds)
    left, right = _context(codec, "decoder", context_seconds)
    pieces = []
    for a in range(0, n_frames, step):
        b = min(n_frames, a + step)
        s, e = max(0, a - left), min(n_frames, b + right)
        wav = codec.decode(codes[..., s:e], **decode_kwargs)
        pieces.append(wav[..., (a - s) * hop : (b - s) * hop])
    wav = torch.cat(pieces, dim=-1)
    return wav[..., :length] if length is not None else wav
