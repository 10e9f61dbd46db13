"""Spectral (frame-rate) encoder: ceil(T / hop) frames, the heads' framing, lengths round-trip through a codec."""

import math

import pytest
import torch

from src.codec import Codec
from src.decoder.dac import DACDecoder
from src.decoder.vocos import VocosDecoder
from src.encoder.spectral import FEATURES, SpectralEncoder, spectral_features
from src.head.imdct_cos import IMDCTCosHead
from src.head.imdct_symexp import IMDCTSymExpHead
from src.head.istft import ISTFTHead
from src.head.waveform import WaveformHead
from src.nn.spectral import stft
from src.quantizer.identity import Identity

SR, HOP, LATENT, DIM = 16000, 64, 8, 16


def enc(**kw) -> SpectralEncoder:
    args = {"channels": 1, "latent_dim": LATENT, "hop_length": HOP, "dim": DIM, "intermediate_dim": 32, "num_layers": 2}
    args.update(kw)
    return SpectralEncoder(**args)


@pytest.mark.parametrize("features", sorted(FEATURES))
@pytest.mark.parametrize("length", [10 * HOP, 10 * HOP + 1, 3 * HOP - 1, HOP])
def test_frames_are_ceil_length_over_hop(features, length):
    z = enc(features=features)(torch.randn(2, 1, length))
    assert z.shape == (2, LATENT, math.ceil(length / HOP))


def spectral_heads(channels: int) -> dict:
    """Every head the encoder can pair with, each behind the decoder that feeds it, at hop HOP."""

    def vocos() -> VocosDecoder:
        return VocosDecoder(LATENT, DIM, dim=DIM, intermediate_dim=32, num_layers=1, pos_net=False)

    return {
        "istft": (vocos(), ISTFTHead(DIM, channels, HOP)),
        "imdct_symexp": (vocos(), IMDCTSymExpHead(DIM, channels, HOP)),
        "imdct_cos": (vocos(), IMDCTCosHead(DIM, channels, HOP)),
        "waveform": (DACDecoder(LATENT, out_dim=2, channels=16, strides=[4, 4, 4]), WaveformHead(2, channels)),
    }


@pytest.mark.parametrize("head_name", ["istft", "imdct_symexp", "imdct_cos", "waveform"])
@pytest.mark.parametrize("channels", [1, 2])
def test_lengths_round_trip_with_every_head(head_name, channels):
    decoder, head = spectral_heads(channels)[head_name]
    codec = Codec(enc(channels=channels), Identity(LATENT), decoder, head, SR, channels).eval()
    for length in (7 * HOP, 7 * HOP + 5, HOP + 1):
        wav = torch.randn(1, channels, length)
        z = codec.encoder(codec.pad_to_hop(wav))
        out = codec(wav)
        # the head turns the encoder's F frames into exactly F * hop samples, cropped back to T
        assert decoder(z).shape[-1] * head.upsample == z.shape[-1] * HOP
        assert out.wav_hat.shape == wav.shape


def test_features_carry_the_complex_spectrum():
    """logmag_phase and compressed_complex are invertible per bin: the complex STFT comes back from them."""
    wav = torch.randn(1, 1, 8 * HOP)
    spec = stft(wav, 4 * HOP, HOP, torch.hann_window(4 * HOP))  # (1, 1, K, F)
    k = spec.shape[2]
    lp = spectral_features(spec, "logmag_phase", 1e-12, 0.3).reshape(1, 3, k, -1)
    back = torch.polar(lp[:, 0].exp(), torch.atan2(lp[:, 2], lp[:, 1]))
    assert torch.allclose(back, spec[:, 0], atol=1e-4, rtol=1e-4)
    cc = spectral_features(spec, "compressed_complex", 1e-12, 0.3).reshape(1, 2, k, -1)
    c = torch.complex(cc[:, 0], cc[:, 1])
    back = torch.polar(c.abs().pow(1 / 0.3), c.angle())
    assert torch.allclose(back, spec[:, 0], atol=1e-3, rtol=1e-3)


def test_silence_gives_finite_features_and_gradients():
    e = enc(features="logmag_phase")
    wav = torch.zeros(1, 1, 5 * HOP, requires_grad=True)
    e(wav).sum().backward()
    assert torch.isfinite(wav.grad).all()
    for kind in FEATURES:
        assert torch.isfinite(enc(features=kind)(torch.zeros(1, 1, 5 * HOP))).all()


def test_frame_f_sees_the_samples_the_istft_head_writes_at_frame_f():
    """An impulse at sample s changes the frames whose 'same'-padded window covers s, and no others."""
    e = enc(features="logmag")
    n_fft = 4 * HOP
    s = 5 * HOP + HOP // 2 + 3  # not on a window edge, where the Hann window is exactly 0
    wav = torch.zeros(1, 1, 12 * HOP)
    wav[..., s] = 1.0
    feats = e.analyse(wav)[0][0]  # (K, F)
    lit = (feats > math.log(1e-4)).any(0).nonzero().flatten().tolist()
    left = (n_fft - HOP) // 2  # the head places frame f on padded samples [f * hop, f * hop + n_fft)
    assert lit == [f for f in range(12) if f * HOP <= s + left < f * HOP + n_fft]


def test_bad_config_names_the_key():
    with pytest.raises(ValueError, match="encoder.features"):
        enc(features="mel")
    with pytest.raises(ValueError, match="encoder.num_layers"):
        enc(num_layers=0)
    with pytest.raises(ValueError, match=r"\(B, 1, T\)"):
        enc()(torch.randn(1, 2, 4 * HOP))


def test_mel_skip_starts_as_the_fixed_log_mel_front_end_and_learns_on_top():
    from src.encoder.mel import MelEncoder

    e = enc(mel_skip=True, sample_rate=SR)
    mel = MelEncoder(SR, 1, LATENT, n_mels=LATENT, n_fft=4 * HOP, hop_length=HOP, padding="same", log_floor=1e-5)
    wav = 0.1 * torch.randn(2, 1, 9 * HOP)
    assert torch.allclose(e(wav), mel(wav), atol=1e-5)
    e(wav).square().mean().backward()
    assert e.out.weight.grad.abs().sum() > 0  # the learned path gets gradient from the first step
    with pytest.raises(ValueError, match="mel_skip"):
        enc(channels=2, latent_dim=LATENT + 1, mel_skip=True)
