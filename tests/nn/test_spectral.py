"""The one STFT/mel front end (src/nn/spectral.py): frame counts and centres of each framing, agreement
with torch.stft and with the codec's framed-rfft definition, normalisation, and the mel filterbanks."""

import math

import librosa
import pytest
import torch
import torch.nn.functional as F

from src.nn.spectral import FRAMINGS, MelSpectrogram, mel_filterbank, stft

N_FFT, HOP = 64, 16
WINDOW = torch.hann_window(N_FFT)


def frames(padding: str, length: int) -> int:
    return stft(torch.randn(2, length), N_FFT, HOP, WINDOW, padding).shape[-1]


@pytest.mark.parametrize("length", [16, 33, 160, 161, 175, 1000])
def test_frame_counts(length):
    assert frames("same", length) == math.ceil(length / HOP)
    assert frames("center", length) == math.ceil(length / HOP)
    assert frames("center_full", length) == length // HOP + 1
    if length >= N_FFT:
        assert frames("none", length) == 1 + (length - N_FFT) // HOP


def test_shapes_keep_the_leading_dimensions():
    spec = stft(torch.randn(2, 3, 160), N_FFT, HOP, WINDOW, "same")
    assert spec.shape == (2, 3, N_FFT // 2 + 1, 10) and spec.is_complex()


@pytest.mark.parametrize("padding, centre", [("same", HOP // 2), ("center", 0), ("center_full", 0)])
def test_frame_f_is_centred_where_the_docstring_says(padding, centre):
    """A click under the peak of frame f's Hann window gives frame f the most energy."""
    for f in (3, 5, 7):
        x = torch.zeros(1, 20 * HOP)
        x[0, f * HOP + centre] = 1.0
        energy = stft(x, N_FFT, HOP, WINDOW, padding).abs().pow(2).sum(-2)[0]
        assert int(energy.argmax()) == f


def test_center_full_is_torch_stft_center_true():
    x = torch.randn(3, 1000)
    ref = torch.stft(x, N_FFT, HOP, window=WINDOW, center=True, return_complex=True)
    assert torch.equal(stft(x, N_FFT, HOP, WINDOW, "center_full", "reflect"), ref)


@pytest.mark.parametrize("padding", ["same", "center"])
@pytest.mark.parametrize("length", [HOP, 2 * HOP, 40 * HOP])  # short clips pad zeros, longer reflect
def test_codec_framings_match_framed_rfft(padding, length):
    """The codec definition (encoders, ISTFT head): pad, cut F windows every hop, window, rfft."""
    x = torch.randn(2, length)
    n = length // HOP
    left = (N_FFT - HOP) // 2 if padding == "same" else N_FFT // 2
    right = (n - 1) * HOP + N_FFT - left - length
    mode = "reflect" if max(left, right) < length else "constant"
    padded = F.pad(x[:, None], (left, right), mode=mode)[:, 0]
    ref = torch.fft.rfft(padded.unfold(-1, N_FFT, HOP)[:, :n] * WINDOW, dim=-1).transpose(-1, -2)
    assert torch.allclose(stft(x, N_FFT, HOP, WINDOW, padding), ref, atol=1e-5)


def test_center_is_center_full_without_its_last_frame():
    x = torch.randn(2, 40 * HOP)
    full = stft(x, N_FFT, HOP, WINDOW, "center_full", "reflect")
    assert torch.equal(stft(x, N_FFT, HOP, WINDOW, "center", "reflect"), full[..., :-1])


def test_normalized_divides_by_the_window_norm():
    x = torch.randn(2, 500)
    plain = stft(x, N_FFT, HOP, WINDOW, "none")
    normed = stft(x, N_FFT, HOP, WINDOW, "none", normalized=True)
    assert torch.allclose(normed * WINDOW.pow(2).sum().sqrt(), plain, atol=1e-5)


def test_bad_options_name_the_choices():
    with pytest.raises(ValueError, match="center_full"):
        stft(torch.randn(1, 100), N_FFT, HOP, WINDOW, "valid")
    with pytest.raises(ValueError, match="reflect_or_zeros"):
        stft(torch.randn(1, 100), N_FFT, HOP, WINDOW, "same", pad_mode="edge")
    assert set(FRAMINGS) == {"same", "center", "center_full", "none"}


def htk_reference(sample_rate: int, n_fft: int, n_mels: int, f_min: float, f_max: float) -> torch.Tensor:
    """Triangles between HTK-mel-spaced edges, no area normalisation (torchaudio's MelScale defaults)."""
    mel_min, mel_max = (2595.0 * math.log10(1.0 + f / 700.0) for f in (f_min, f_max))
    freqs = torch.linspace(0, sample_rate / 2, n_fft // 2 + 1, dtype=torch.float64)
    m = torch.linspace(mel_min, mel_max, n_mels + 2, dtype=torch.float64)
    edges = 700.0 * (10.0 ** (m / 2595.0) - 1.0)
    up = (freqs - edges[:-2, None]) / (edges[1:-1] - edges[:-2])[:, None]
    down = (edges[2:, None] - freqs) / (edges[2:] - edges[1:-1])[:, None]
    return torch.minimum(up, down).clamp_min(0).float()


@pytest.mark.parametrize("sr, n_fft, n_mels, f_max", [(16000, 1024, 80, 8000.0), (24000, 1024, 100, 9000.0)])
def test_mel_filterbanks_match_librosa(sr, n_fft, n_mels, f_max):
    htk = mel_filterbank(sr, n_fft, n_mels, 0.0, f_max)
    assert htk.shape == (n_mels, n_fft // 2 + 1)
    assert torch.allclose(htk, htk_reference(sr, n_fft, n_mels, 0.0, f_max), atol=1e-6)
    ref = librosa.filters.mel(sr=sr, n_fft=n_fft, n_mels=n_mels, fmax=f_max, htk=True, norm=None)
    assert torch.equal(htk, torch.from_numpy(ref).float())
    slaney = mel_filterbank(sr, n_fft, n_mels, 0.0, f_max, mel_scale="slaney", norm="slaney")
    assert torch.equal(
        slaney, torch.from_numpy(librosa.filters.mel(sr=sr, n_fft=n_fft, n_mels=n_mels, fmax=f_max)).float()
    )
    with pytest.raises(ValueError, match="htk"):
        mel_filterbank(sr, n_fft, n_mels, mel_scale="bark")


def test_mel_spectrogram_is_filterbank_times_magnitude_and_saves_nothing():
    mel = MelSpectrogram(16000, 256, 20, power=2.0, mel_scale="htk", norm=None, normalized=True)
    x = torch.randn(2, 3, 4000)
    ref = (
        torch.stft(x.reshape(6, -1), 256, 64, window=torch.hann_window(256), center=True, return_complex=True)
        .abs()
        .pow(2)
        / torch.hann_window(256).pow(2).sum()
    )
    fb = mel_filterbank(16000, 256, 20)
    assert torch.allclose(mel(x).reshape(6, 20, -1), fb @ ref, rtol=1e-5, atol=1e-7)
    assert mel(x).shape == (2, 3, 20, 4000 // 64 + 1)
    assert mel.state_dict() == {}
