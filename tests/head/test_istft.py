"""ISTFT head: F frames -> F * hop samples, perfect reconstruction from STFT log-magnitude/phase."""

import pytest
import torch
from torch import nn

from src.head.istft import ISTFTHead
from src.nn.spectral import ISTFT, stft

HOP, N_FFT = 16, 64


def analyse(x: torch.Tensor, padding: str) -> tuple[torch.Tensor, torch.Tensor]:
    """x: (N, F * hop) -> log-magnitude, phase (N, n_fft/2 + 1, F), framed as the mel encoder frames."""
    spec = stft(x, N_FFT, HOP, torch.hann_window(N_FFT), padding)
    return spec.abs().clamp_min(1e-9).log(), spec.angle()


@pytest.mark.parametrize("padding", ["same", "center"])
@pytest.mark.parametrize("frames", [2, 3, 11])
@pytest.mark.parametrize("channels", [1, 2])
def test_frames_to_exact_length(padding, frames, channels):
    head = ISTFTHead(in_dim=12, channels=channels, hop_length=HOP, padding=padding)
    wav = head(torch.randn(2, 12, frames))
    assert wav.shape == (2, channels, frames * HOP)
    assert head.upsample == HOP and head.n_fft == 4 * HOP and head.in_dim == 12
    assert torch.isfinite(wav).all()


@pytest.mark.parametrize("padding", ["same", "center"])
def test_synthesis_inverts_the_analysis(padding):
    x = 0.1 * torch.randn(3, 20 * HOP)
    head = ISTFTHead(in_dim=4, channels=1, hop_length=HOP, n_fft=N_FFT, padding=padding)
    y = head.synthesize(*analyse(x, padding))
    assert y.shape == x.shape
    assert torch.allclose(y, x, atol=1e-5)


def test_full_head_reconstructs_through_identity_projection_per_channel():
    """Projection = identity: h holds [log-mag, phase] per channel, channel-major; the head returns x."""
    frames, k = 9, N_FFT + 2
    x = 0.1 * torch.randn(2, 2, frames * HOP)
    log_mag, phase = analyse(x.reshape(4, -1), "same")
    h = torch.cat([log_mag, phase], dim=1).reshape(2, 2 * k, frames)
    head = ISTFTHead(in_dim=2 * k, channels=2, hop_length=HOP, n_fft=N_FFT)
    with torch.no_grad():
        head.proj.out.weight.copy_(torch.eye(2 * k))
        head.proj.out.bias.zero_()
    assert torch.allclose(head(h), x, atol=1e-5)


def test_magnitude_is_clipped():
    head = ISTFTHead(in_dim=4, channels=1, hop_length=HOP, max_magnitude=100.0)
    phase = torch.rand(1, N_FFT // 2 + 1, 5) * 6.28
    big = head.synthesize(torch.full_like(phase, 50.0), phase)
    at_clip = head.synthesize(torch.full_like(phase, torch.log(torch.tensor(100.0)).item()), phase)
    assert torch.isfinite(big).all() and torch.allclose(big, at_clip, atol=1e-3)


def test_each_frame_only_touches_its_window():
    """'same': frame f spans samples [f*hop - (n_fft-hop)/2, f*hop + (n_fft+hop)/2), cropped to the output."""
    spec = torch.zeros(1, N_FFT // 2 + 1, 8, dtype=torch.complex64)
    spec[0, 3, 4] = 1.0
    y = ISTFT(N_FFT, HOP, "same")(spec)[0]
    start = 4 * HOP - (N_FFT - HOP) // 2
    outside = torch.cat([y[:start], y[start + N_FFT :]])
    assert outside.abs().max() == 0 and y[start : start + N_FFT].abs().max() > 0


@pytest.mark.parametrize(
    "kw, match",
    [
        ({"padding": "valid"}, "padding"),
        ({"n_fft": 63}, "even"),  # (n_fft - hop) odd for 'same'
        ({"n_fft": 24, "padding": "center"}, "center"),  # hop > n_fft / 2 leaves the last hop uncovered
    ],
)
def test_bad_config_is_rejected(kw, match):
    with pytest.raises(ValueError, match=match):
        ISTFTHead(in_dim=4, channels=1, hop_length=HOP, **kw)


def test_wrong_input_width_names_in_dim():
    with pytest.raises(ValueError, match="in_dim"):
        ISTFTHead(in_dim=4, channels=1, hop_length=HOP)(torch.randn(1, 5, 3))


def test_head_is_a_plain_module_with_one_linear():
    head = ISTFTHead(in_dim=4, channels=1, hop_length=HOP)
    linears = [m for m in head.modules() if isinstance(m, nn.Linear)]
    assert len(linears) == 1 and sum(p.numel() for p in head.parameters()) == 4 * 66 + 66
    assert head.state_dict().keys() == {"proj.out.weight", "proj.out.bias"}  # the window is not saved
