"""Mel encoder: T / hop frames, torchaudio/librosa-equivalent log-mel, nothing trainable."""

import numpy as np
import pytest
import torch

from src.encoder.mel import MelEncoder

SR, N_FFT, HOP, N_MELS = 16000, 256, 64, 20


def enc(**kw) -> MelEncoder:
    args = {"sample_rate": SR, "channels": 1, "latent_dim": N_MELS, "n_mels": N_MELS, "n_fft": N_FFT, "hop_length": HOP}
    args.update(kw)
    return MelEncoder(**args)


@pytest.mark.parametrize("padding", ["center", "same"])
@pytest.mark.parametrize("length, frames", [(10 * HOP, 10), (10 * HOP + 1, 11), (2 * HOP, 2)])
def test_frames_are_ceil_length_over_hop(padding, length, frames):
    z = enc(padding=padding)(torch.randn(2, 1, length))
    assert z.shape == (2, N_MELS, frames)


def padded(x: np.ndarray, padding: str) -> tuple[np.ndarray, bool]:
    """'same' pads (n_fft - hop) / 2 per side without centring; 'center' is the usual centred STFT."""
    if padding == "same":
        side = (N_FFT - HOP) // 2
        return np.pad(x, (side, side), mode="reflect"), False
    return x, True


def numpy_log_mel(x: np.ndarray, padding: str) -> np.ndarray:
    """Independent reference: explicit frames, periodic Hann, |rfft|, np.interp triangles on the HTK scale."""
    sig, center = padded(x, padding)
    if center:
        sig = np.pad(sig, (N_FFT // 2, N_FFT // 2), mode="reflect")
    window = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(N_FFT) / N_FFT)
    frames = np.stack([sig[i * HOP : i * HOP + N_FFT] for i in range(len(x) // HOP)])
    mag = np.abs(np.fft.rfft(frames * window, axis=-1))  # (F, K)
    freqs = np.linspace(0, SR / 2, N_FFT // 2 + 1)
    mel_edges = np.linspace(0, 2595 * np.log10(1 + SR / 2 / 700), N_MELS + 2)
    hz = 700 * (10 ** (mel_edges / 2595) - 1)
    fb = np.stack([np.interp(freqs, hz[m : m + 3], [0.0, 1.0, 0.0], left=0.0, right=0.0) for m in range(N_MELS)])
    return np.log(np.maximum(fb @ mag.T, 1e-7))


@pytest.mark.parametrize("padding", ["center", "same"])
def test_matches_a_numpy_log_mel(padding):
    x = 0.1 * np.random.default_rng(0).standard_normal(12 * HOP)
    ours = enc(padding=padding)(torch.from_numpy(x).float()[None, None])[0].numpy()
    assert np.abs(ours - numpy_log_mel(x, padding)).max() < 1e-3


@pytest.mark.slow  # importing librosa's filters costs ~10 s (numba)
@pytest.mark.parametrize("padding", ["center", "same"])
def test_matches_librosa_log_mel(padding):
    import librosa

    x = 0.1 * np.random.default_rng(0).standard_normal(12 * HOP).astype(np.float32)
    ours = enc(padding=padding)(torch.from_numpy(x)[None, None])[0].numpy()
    sig, center = padded(x, padding)
    ref = librosa.feature.melspectrogram(
        y=sig,
        sr=SR,
        n_fft=N_FFT,
        hop_length=HOP,
        n_mels=N_MELS,
        power=1.0,
        htk=True,
        norm=None,
        center=center,
        pad_mode="reflect",
    )
    ref = np.log(np.maximum(ref[:, :12], 1e-7))
    assert np.abs(ours - ref).max() < 1e-3


def test_a_tone_lights_the_mel_band_holding_its_frequency():
    t = torch.arange(20 * HOP) / SR
    z = enc()(torch.sin(2 * torch.pi * 2000.0 * t)[None, None])
    mel_edges = np.linspace(0, 2595 * np.log10(1 + SR / 2 / 700), N_MELS + 2)
    centers = (700 * (10 ** (mel_edges / 2595) - 1))[1:-1]
    assert int(z[0, :, 5:15].mean(-1).argmax()) == int(np.abs(centers - 2000.0).argmin())


def test_nothing_trainable_nothing_saved_and_stereo_stacks_channels():
    mono, stereo = enc(), enc(channels=2, latent_dim=2 * N_MELS)
    assert sum(p.numel() for p in stereo.parameters()) == 0 and len(stereo.state_dict()) == 0
    assert stereo.hop_length == HOP and stereo.latent_dim == 2 * N_MELS
    x = torch.randn(1, 2, 8 * HOP)
    z = stereo(x)
    assert torch.allclose(z[:, :N_MELS], mono(x[:, :1])) and torch.allclose(z[:, N_MELS:], mono(x[:, 1:]))
    assert torch.isfinite(enc()(torch.zeros(1, 1, 4 * HOP))).all()  # silence hits the log floor, not -inf


def test_bad_config_and_input_name_the_key():
    with pytest.raises(ValueError, match="latent_dim"):
        enc(latent_dim=N_MELS + 1)
    with pytest.raises(ValueError, match="padding"):
        enc(padding="valid")
    with pytest.raises(ValueError, match="channels"):
        enc()(torch.randn(1, 2, 4 * HOP))


def test_last_frame_adds_torch_stft_centred_final_frame():
    """encoder.last_frame (set by converted Vocos configs): F + 1 frames, the first F unchanged."""
    x = torch.randn(2, 1, 10 * HOP)
    plain, full = enc()(x), enc(last_frame=True)(x)
    assert full.shape[-1] == plain.shape[-1] + 1 == 11
    assert torch.allclose(full[..., :-1], plain, atol=1e-5)
    with pytest.raises(ValueError, match="last_frame"):
        enc(padding="same", last_frame=True)
