"""The discriminators' Spectrogram on the one STFT front end equals its former torch.stft definition:
'same' = zero-fill to a hop multiple + reflect (n_fft - hop) / 2 per side, 'center' = torch.stft(center=True),
'none' = no padding; complex = [real; imag] over channels, magnitude = sqrt(max(|X|^2, eps))."""

import pytest
import torch
import torch.nn.functional as F

from src.discriminator.common import Spectrogram


def reference(wav, n_fft, hop, win, window, representation, padding, normalized, eps=1e-7):
    b, c, t = wav.shape
    x = wav.reshape(b * c, 1, t)
    if padding == "same":
        x = F.pad(x, (0, (-t) % hop))
        x = F.pad(x, ((n_fft - hop) // 2,) * 2, mode="reflect")
    elif padding == "center":
        x = F.pad(x, (n_fft // 2,) * 2, mode="reflect")
    else:
        x = F.pad(x, (0, max(0, n_fft - t)))
    w = torch.hann_window(win) if window == "hann" else torch.ones(win)
    spec = torch.stft(x[:, 0], n_fft, hop, win, window=w, center=False, return_complex=True)
    if normalized:
        spec = spec / w.pow(2).sum().sqrt()
    spec = spec.transpose(-1, -2).reshape(b, c, spec.shape[-1], spec.shape[-2])
    if representation == "magnitude":
        return (spec.real.pow(2) + spec.imag.pow(2)).clamp_min(eps).sqrt()
    return torch.cat([spec.real, spec.imag], dim=1)


@pytest.mark.parametrize("padding", ["same", "center", "none"])
@pytest.mark.parametrize("representation", ["complex", "magnitude"])
@pytest.mark.parametrize("sizes, window", [((64, 16, 64), "hann"), ((128, 32, 96), "rect"), ((256, 64, 256), "hann")])
@pytest.mark.parametrize("length", [1000, 4001])
def test_equals_the_torch_stft_definition(padding, representation, sizes, window, length):
    wav = torch.randn(2, 2, length)
    for normalized in (False, True):
        spec = Spectrogram(*sizes, window, representation, padding, normalized)
        ref = reference(wav, *sizes, window, representation, padding, normalized)
        assert spec(wav).shape == ref.shape
        assert torch.allclose(spec(wav), ref, rtol=1e-6, atol=1e-6)
