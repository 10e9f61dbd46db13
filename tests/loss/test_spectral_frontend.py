"""The mel and complex-STFT losses on the one front end equal their former torch.stft + librosa definitions
(DAC: slaney mel of |X|; EnCodec: htk mel of |X|^2 / sum(window^2); compressed complex spectra)."""

import librosa
import pytest
import torch
import torch.nn.functional as F

from src.loss.spectral import ComplexSTFTLoss, EncodecMelLoss, MultiScaleMelLoss

SR = 16000


def mel_ref(wav, n_fft, n_mels, power, htk, normalized):
    x = wav.reshape(-1, wav.shape[-1])
    w = torch.hann_window(n_fft)
    mag = torch.stft(x, n_fft, n_fft // 4, window=w, center=True, return_complex=True).abs().pow(power)
    fb = torch.from_numpy(
        librosa.filters.mel(sr=SR, n_fft=n_fft, n_mels=n_mels, htk=htk, norm=None if htk else "slaney")
    ).float()
    return (fb / w.pow(2).sum() if normalized else fb) @ mag


def pair():
    g = torch.Generator().manual_seed(0)
    wav = torch.randn(2, 1, 8000, generator=g)
    return wav + 0.1 * torch.randn(wav.shape, generator=g), wav


def test_multiscale_mel_loss_equals_its_definition():
    wav_hat, wav = pair()
    windows, mels = (64, 256, 1024), (10, 40, 80)
    ref = sum(
        F.l1_loss(
            mel_ref(wav_hat, w, m, 1.0, False, False).clamp_min(1e-5).log10(),
            mel_ref(wav, w, m, 1.0, False, False).clamp_min(1e-5).log10(),
        )
        for w, m in zip(windows, mels)
    )
    loss = MultiScaleMelLoss(SR, window_lengths=windows, n_mels=mels)(wav_hat, wav)
    assert torch.allclose(loss, ref, rtol=1e-6)


@pytest.mark.filterwarnings("ignore:Empty filters")
def test_encodec_mel_loss_equals_its_definition():
    wav_hat, wav = pair()
    ref = 0.0
    for i in range(6, 9):
        m_hat, m = (mel_ref(x, 2**i, 32, 2.0, True, True) for x in (wav_hat, wav))
        ref = ref + F.l1_loss(m_hat, m) + F.mse_loss((1e-5 + m_hat).log10(), (1e-5 + m).log10())
    loss = EncodecMelLoss(SR, range_start=6, range_end=9, n_mels=32)(wav_hat, wav)
    assert torch.allclose(loss, ref / 6, rtol=1e-6)


def test_complex_stft_loss_equals_its_definition():
    wav_hat, wav = pair()

    def compressed(x, n):
        spec = torch.stft(
            x.reshape(-1, x.shape[-1]), n, n // 4, window=torch.hann_window(n), center=True, return_complex=True
        )
        return torch.view_as_real(spec * spec.abs().clamp_min(1e-8).pow(-0.7))

    ref = sum(F.l1_loss(compressed(wav_hat, n), compressed(wav, n)) for n in (320, 640)) / 2
    assert torch.allclose(ComplexSTFTLoss((320, 640))(wav_hat, wav), ref, rtol=1e-6)
