"""Shared layers added for the model zoo: anti-aliased activation, SnakeBeta, SLSTM."""

import math

import torch

from src.nn.activations import AntiAliasActivation, kaiser_sinc_lowpass
from src.nn.lstm import SLSTM
from src.nn.snake import SnakeBeta


def test_lowpass_filter_sums_to_one_and_is_symmetric():
    taps = kaiser_sinc_lowpass(0.25, 0.3, 12)
    assert math.isclose(float(taps.sum()), 1.0, rel_tol=1e-6)
    assert torch.allclose(taps, taps.flip(0))


def test_antialias_identity_passes_low_frequencies():
    act = AntiAliasActivation(torch.nn.Identity())
    t = torch.arange(256.0)
    x = torch.sin(2 * math.pi * 0.02 * t).view(1, 1, -1).repeat(1, 3, 1)
    y = act(x)
    assert y.shape == x.shape
    assert torch.allclose(y[..., 16:-16], x[..., 16:-16], atol=2e-2)


class Abs(torch.nn.Module):
    def forward(self, x):
        return x.abs()


def test_antialias_removes_aliasing_of_a_nonlinearity():
    # |x| of a tone at 0.3 cycles/sample has a harmonic at 0.6, which a plain |x| folds to 0.4;
    # BigVGAN's short 12-tap filter cuts that alias about 4x
    n = 512
    x = torch.sin(2 * math.pi * 0.3 * torch.arange(float(n))).view(1, 1, -1)

    def spectrum(s):
        s = s[0, 0, 32:-32]
        return torch.fft.rfft(s - s.mean()).abs()

    alias_bin = round(0.4 * (n - 64))
    plain, filtered = spectrum(Abs()(x)), spectrum(AntiAliasActivation(Abs())(x))
    assert filtered[alias_bin] < 0.3 * plain[alias_bin]


def test_snake_beta_logscale_starts_at_plain_snake():
    x = torch.randn(2, 3, 10)
    expected = x + torch.sin(x).pow(2)
    assert torch.allclose(SnakeBeta(3)(x), expected, atol=1e-6)


def test_slstm_skip_and_causality():
    lstm = SLSTM(4, num_layers=1)
    x = torch.randn(1, 4, 12)
    x2 = x.clone()
    x2[..., 6:] += 1.0
    assert torch.allclose(lstm(x)[..., :6], lstm(x2)[..., :6])
    no_skip = SLSTM(4, num_layers=1, skip=False)
    no_skip.load_state_dict(lstm.state_dict())
    assert torch.allclose(lstm(x) - no_skip(x), x, atol=1e-6)


def test_one_norm_rule_for_every_conv_helper():
    """src.nn.conv.normed serves the generators' SConv1d and the discriminators' conv1d/conv2d alike."""
    import pytest

    from src.nn.conv import SConv1d, SConvTranspose1d, conv1d, conv2d

    assert hasattr(SConv1d(2, 2, 3, norm="spectral_norm").conv.parametrizations, "weight")
    assert not hasattr(SConvTranspose1d(2, 2, 4, 2, norm="none").convtr, "parametrizations")
    assert conv1d(2, 4, 5).padding == (2,) and conv2d(2, 4, (3, 9)).padding == (1, 4)
    for build in (lambda: SConv1d(2, 2, 3, norm="batch"), lambda: conv1d(2, 2, 3, norm="batch")):
        with pytest.raises(ValueError, match="weight_norm"):
            build()
