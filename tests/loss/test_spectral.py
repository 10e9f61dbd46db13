"""Invariants of the reconstruction losses added for the dac/encodec/mrstft loss options, and of the options."""

import pytest
import torch
from hydra.utils import instantiate
from omegaconf import OmegaConf

from src.loss.spectral import EncodecMelLoss, MultiResolutionSTFTLoss, WaveformL1Loss
from src.loss.weighted import LossWeights

SMALL_STFT = {"fft_sizes": (256, 64), "hop_sizes": (64, 16), "win_lengths": (256, 64)}


def losses():
    return {
        "encodec_mel": (EncodecMelLoss(16000, range_start=5, range_end=9), 1),
        "mrstft_mono": (MultiResolutionSTFTLoss(1, 16000, **SMALL_STFT), 1),
        "mrstft_stereo": (MultiResolutionSTFTLoss(2, 16000, **SMALL_STFT), 2),
        "l1": (WaveformL1Loss(), 2),
    }


@pytest.mark.parametrize("name", ["encodec_mel", "mrstft_mono", "mrstft_stereo", "l1"])
def test_zero_on_identical_positive_otherwise_with_gradient(name):
    loss, channels = losses()[name]
    wav = torch.randn(2, channels, 3001)
    assert loss(wav, wav).item() == pytest.approx(0.0, abs=1e-6)
    wav_hat = (wav + 0.1 * torch.randn_like(wav)).requires_grad_(True)
    value = loss(wav_hat, wav)
    assert value.dim() == 0 and value.item() > 1e-3
    value.backward()
    assert torch.isfinite(wav_hat.grad).all() and wav_hat.grad.abs().sum() > 0


def test_stereo_loss_sees_the_stereo_image():
    """Sum-and-difference: collapsing stereo to dual mono keeps the sum signal exactly, so only the
    difference term can see the error, and it must."""
    loss = MultiResolutionSTFTLoss(2, 16000, **SMALL_STFT)
    wav = torch.randn(1, 2, 3000)
    dual_mono = wav.mean(dim=1, keepdim=True).expand_as(wav)
    assert loss(dual_mono, wav).item() > 0.1


def test_mrstft_checks_channels():
    with pytest.raises(ValueError, match="channels"):
        MultiResolutionSTFTLoss(3, 16000)
    with pytest.raises(ValueError, match=r"\(B, 1, T\)"):
        MultiResolutionSTFTLoss(1, 16000, **SMALL_STFT)(torch.randn(1, 2, 1000), torch.randn(1, 2, 1000))


def test_encodec_mel_is_scale_averaged_and_alpha_weighted():
    wav = torch.randn(1, 1, 4000)
    wav_hat = wav + 0.1 * torch.randn_like(wav)
    plain = EncodecMelLoss(16000, range_start=6, range_end=8, normalized=False)(wav_hat, wav)
    weighted = EncodecMelLoss(16000, range_start=6, range_end=8, normalized=False, alphas=True)(wav_hat, wav)
    assert weighted.item() > plain.item()  # alpha_i = sqrt(2^i - 1) > 1 on the log-mel term


@pytest.mark.parametrize("option", ["dac", "encodec", "mrstft", "default"])
@pytest.mark.parametrize("channels", [1, 2])
def test_loss_options_instantiate_and_weight_every_term(repo_root, option, channels):
    node = OmegaConf.load(repo_root / "conf" / "loss" / f"{option}.yaml")
    cfg = OmegaConf.merge({"sample_rate": 16000, "channels": channels}, {"loss": node}).loss
    recon = {name: instantiate(c, _convert_="all") for name, c in cfg.reconstruction.items()}
    adversarial = instantiate(cfg.adversarial, _convert_="all")
    weights = LossWeights(OmegaConf.to_container(cfg.weights), [*recon, *adversarial.term_names])
    wav = torch.randn(1, channels, 4000)
    terms = {name: loss(wav, wav) for name, loss in recon.items()}
    assert all(t.item() == pytest.approx(0.0, abs=1e-6) for t in terms.values())
    assert weights.combine(terms).item() == pytest.approx(0.0, abs=1e-5)


def test_complex_stft_loss_sees_the_phase_that_magnitude_losses_miss():
    """A time shift of a quarter period keeps every magnitude but rotates the phase: only this loss moves."""
    from src.loss.spectral import ComplexSTFTLoss, MultiScaleMelLoss

    t = torch.arange(16000) / 16000
    wav = torch.sin(2 * torch.pi * 500.0 * t)[None, None]
    shifted = torch.sin(2 * torch.pi * 500.0 * t + torch.pi / 2)[None, None]
    loss = ComplexSTFTLoss(fft_sizes=(512, 256))
    assert loss(wav, wav) == 0
    mel = MultiScaleMelLoss(16000, window_lengths=(512,), n_mels=(40,))
    silence = torch.zeros_like(wav)
    # for the mel loss the shifted tone is far closer than silence; for this loss it is no closer
    assert mel(shifted, wav) < 0.2 * mel(silence, wav)
    assert loss(shifted, wav) > loss(silence, wav)


def test_complex_stft_loss_has_finite_gradients_on_silence():
    from src.loss.spectral import ComplexSTFTLoss

    wav_hat = torch.zeros(2, 1, 4000, requires_grad=True)
    ComplexSTFTLoss()(wav_hat, torch.randn(2, 1, 4000)).backward()
    assert torch.isfinite(wav_hat.grad).all() and wav_hat.grad.abs().sum() > 0
