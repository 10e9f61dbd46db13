"""MDCT/IMDCT (TDAC perfect reconstruction) and the two IMDCT heads of Vocos."""

import math

import pytest
import torch

from src.head.imdct_cos import IMDCTCosHead
from src.head.imdct_symexp import IMDCTSymExpHead, symexp, symlog
from src.nn.spectral import IMDCT, MDCT

HOP = 16  # MDCT frame = 32


def interior(x: torch.Tensor, padding: str) -> torch.Tensor:
    """Samples with both TDAC partner frames: 'same' loses hop/2 per edge, 'center' the last hop."""
    return x[..., HOP // 2 : -HOP // 2] if padding == "same" else x[..., :-HOP]


@pytest.mark.parametrize("padding", ["same", "center"])
def test_mdct_imdct_perfect_reconstruction(padding):
    x = torch.randn(3, 12 * HOP)
    coeffs = MDCT(2 * HOP, padding)(x)
    assert coeffs.shape == (3, 12, HOP)
    y = IMDCT(2 * HOP, padding)(coeffs)
    assert y.shape == x.shape
    assert torch.allclose(interior(y, padding), interior(x, padding), atol=1e-5)


def test_mdct_matches_the_textbook_definition():
    """X_k = sqrt(2/N) sum_n w_n x_n cos(pi/N (n + 1/2 + N/2)(k + 1/2)), sine window, frame 2N."""
    n_half, x = HOP, torch.randn(1, 4 * HOP, dtype=torch.float64)
    coeffs = MDCT(2 * n_half, "center")(x.float())[0].double()
    padded = torch.nn.functional.pad(x, (n_half, n_half))[0]  # 'center' pads frame_len / 2 = N
    n = torch.arange(2 * n_half, dtype=torch.float64)
    window = torch.sin(math.pi * (n + 0.5) / (2 * n_half))
    for f in range(4):
        frame = padded[f * n_half : f * n_half + 2 * n_half] * window
        for k in (0, 5, n_half - 1):
            ref = (
                math.sqrt(2 / n_half) * (frame * torch.cos(math.pi / n_half * (n + 0.5 + n_half / 2) * (k + 0.5))).sum()
            )
            assert abs(coeffs[f, k] - ref) < 1e-4


def test_symexp_inverts_symlog():
    x = torch.linspace(-50, 50, 101)
    assert torch.allclose(symexp(symlog(x)), x, atol=1e-4)


def identity_projection(head) -> None:
    with torch.no_grad():
        head.proj.out.weight.copy_(torch.eye(head.proj.out.weight.shape[0]))
        head.proj.out.bias.zero_()


@pytest.mark.parametrize("padding", ["same", "center"])
@pytest.mark.parametrize("channels", [1, 2])
def test_symexp_head_reconstructs_from_symlog_coefficients(padding, channels):
    frames, x = 10, 0.1 * torch.randn(2, channels, 10 * HOP)
    coeffs = MDCT(2 * HOP, padding)(x.reshape(2 * channels, -1))  # (B*C, F, hop)
    h = symlog(coeffs).reshape(2, channels, frames, HOP).permute(0, 1, 3, 2).reshape(2, channels * HOP, frames)
    head = IMDCTSymExpHead(in_dim=channels * HOP, channels=channels, hop_length=HOP, padding=padding)
    identity_projection(head)
    wav = head(h)
    assert wav.shape == x.shape and head.upsample == HOP
    assert torch.allclose(interior(wav, padding), interior(x, padding), atol=1e-5)


@pytest.mark.parametrize("padding", ["same", "center"])
def test_cos_head_reconstructs_from_log_magnitude_and_sign_phase(padding):
    frames, x = 10, 0.1 * torch.randn(1, 10 * HOP)
    coeffs = MDCT(2 * HOP, padding)(x)  # (1, F, hop)
    log_mag = coeffs.abs().clamp_min(1e-12).log()
    phase = torch.where(coeffs < 0, math.pi, 0.0)
    h = torch.cat([log_mag, phase], dim=-1).transpose(1, 2)  # (1, 2 * hop, F): [m, p] per frame
    head = IMDCTCosHead(in_dim=2 * HOP, channels=1, hop_length=HOP, padding=padding)
    identity_projection(head)
    wav = head(h)
    assert wav.shape == (1, 1, frames * HOP)
    assert torch.allclose(interior(wav[:, 0], padding), interior(x, padding), atol=1e-5)


@pytest.mark.parametrize("cls", [IMDCTSymExpHead, IMDCTCosHead])
@pytest.mark.parametrize("frames", [2, 3, 9])
def test_heads_give_exact_lengths_and_clip(cls, frames):
    head = cls(in_dim=8, channels=1, hop_length=HOP, clip_audio=True)
    wav = head(100 * torch.randn(2, 8, frames))
    assert wav.shape == (2, 1, frames * HOP)
    assert wav.abs().max() <= 1.0


def test_mel_init_scales_output_rows_down_to_zero_at_nyquist():
    torch.manual_seed(1)
    plain = IMDCTSymExpHead(in_dim=8, channels=1, hop_length=HOP)
    torch.manual_seed(1)
    scaled = IMDCTSymExpHead(in_dim=8, channels=1, hop_length=HOP, sample_rate=16000)
    ratio = (scaled.proj.out.weight / plain.proj.out.weight).mean(1).detach()
    assert ratio[0] == pytest.approx(1.0) and ratio[-1] == pytest.approx(0.0, abs=1e-6)
    assert (ratio[1:] < ratio[:-1]).all()


def test_odd_hop_is_rejected():
    with pytest.raises(ValueError, match="even hop_length"):
        IMDCTCosHead(in_dim=8, channels=1, hop_length=15)
