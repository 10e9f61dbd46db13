"""preset=tiny's codes do not collapse: at initialisation every matched-bitrate quantizer whose codebook is
not fitted to data (DAC's and BigCodec's gradient-learned codebooks, FSQ's grid) spreads speech-like frames
over its codebook. The pre-fix tiny (encoder.init=torch, PyTorch's default init) mapped them to 1-4 codes:
docs/collapse.md."""

import math

import pytest
import torch

from src.build import build_codec
from src.compose import compose_train_config

SR = 16000


def speech_like(batch: int = 4, seconds: float = 1.6) -> torch.Tensor:
    """(B, 1, T) voiced-like signal at speech level (rms ~0.07): harmonics of a gliding f0 under a syllabic
    envelope, plus noise bursts; different f0 and rate per item."""
    torch.manual_seed(0)
    t = torch.arange(int(seconds * SR)) / SR
    items = []
    for b in range(batch):
        f0 = 100 + 40 * b + 30 * torch.sin(2 * math.pi * 0.7 * t)
        phase = 2 * math.pi * torch.cumsum(f0, 0) / SR
        voiced = sum(torch.sin(k * phase) / k for k in range(1, 12))
        envelope = torch.sin(2 * math.pi * (3 + b) * t).clamp(min=0)
        noise = torch.randn_like(t) * (torch.sin(2 * math.pi * 2.5 * t + b) > 0.7)
        x = envelope * voiced + 0.3 * noise
        items.append(0.07 * x / x.pow(2).mean().sqrt())
    return torch.stack(items)[:, None]


def entropy_bits(codes: torch.Tensor, size: int) -> list[float]:
    """codes: (B, n_q, F) -> empirical entropy (bits) of each codebook."""
    out = []
    for k in range(codes.shape[1]):
        p = torch.bincount(codes[:, k].reshape(-1), minlength=size).float()
        p = p[p > 0] / p.sum()
        out.append(float(-(p * p.log2()).sum()))
    return out


def codes_at_init(quantizer: str, *overrides: str) -> tuple[list[float], float]:
    cfg = compose_train_config(["preset=tiny", f"+ablation/matched_bitrate={quantizer}", *overrides])
    torch.manual_seed(int(cfg.seed))
    codec = build_codec(cfg).eval()
    with torch.no_grad():
        codes = codec.quantizer.encode(codec.encoder(speech_like()))
    size = int(codec.quantizer.codebook_size)
    return entropy_bits(codes, size), math.log2(size)


@pytest.mark.parametrize("quantizer", ["dac_rvq", "factorized_vq", "fsq"])
def test_tiny_codes_use_half_their_bits_at_init(quantizer):
    bits, log2_size = codes_at_init(quantizer)
    # 4 x 80 = 320 frames cap the entropy at log2(320) = 8.3 bits for the 12-bit single codebooks
    ceiling = min(log2_size, math.log2(320))
    assert all(b > 0.5 * ceiling for b in bits), f"{quantizer}: {bits} bits of {ceiling:.1f} per codebook"


@pytest.mark.parametrize("quantizer", ["dac_rvq", "fsq"])
def test_default_torch_init_collapses_on_the_same_signal(quantizer):
    """The signal above separates the two inits: with PyTorch's default init tiny's codes collapse."""
    bits, _ = codes_at_init(quantizer, "encoder.init=torch")
    assert all(b < 1.5 for b in bits), bits
