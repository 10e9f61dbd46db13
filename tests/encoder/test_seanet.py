import pytest
import torch

from src.decoder.seanet import SEANetDecoder
from src.encoder.seanet import SEANetEncoder
from src.head.waveform import WaveformHead
from tests.zoo_helpers import build, group_node, n_params, root_config

TINY = {"n_filters": 4, "ratios": [4, 2], "lstm": 1}


def tiny_pair(causal: bool, latent: int = 8):
    enc = SEANetEncoder(latent_dim=latent, causal=causal, **TINY)
    dec = SEANetDecoder(latent_dim=latent, out_dim=4, causal=causal, **TINY)
    return enc.eval(), dec.eval()


def test_hop_and_round_trip_length():
    enc, dec = tiny_pair(causal=False)
    head = WaveformHead(in_dim=4, channels=1)
    assert enc.hop_length == 8 and dec.upsample == 8
    x = torch.randn(2, 1, 8 * 13)
    z = enc(x)
    assert z.shape == (2, 8, 13)
    assert head(dec(z)).shape == x.shape


def test_ratios_are_used_reversed():
    enc = SEANetEncoder(latent_dim=8, n_filters=2, ratios=[5, 2], lstm=0)
    strides = [m.stride for m in enc.modules() if getattr(m, "stride", 1) != 1 and hasattr(m, "causal")]
    assert strides == [2, 5]


@pytest.mark.parametrize("causal", [True, False])
def test_encoder_causality(causal):
    enc, _ = tiny_pair(causal)
    hop, t = enc.hop_length, 5
    x = torch.randn(1, 1, hop * 12)
    x2 = x.clone()
    x2[..., (t + 1) * hop :] = torch.randn_like(x2[..., (t + 1) * hop :])
    with torch.no_grad():
        same = torch.allclose(enc(x)[..., : t + 1], enc(x2)[..., : t + 1], atol=1e-6)
    assert same == causal  # the non-causal encoder must see the future (the check can fail)


@pytest.mark.parametrize("causal", [True, False])
def test_decoder_causality(causal):
    _, dec = tiny_pair(causal)
    head = WaveformHead(in_dim=4, causal=causal).eval()
    t, up = 4, dec.upsample
    z = torch.randn(1, 8, 10)
    z2 = z.clone()
    z2[..., t + 1 :] += 1.0
    with torch.no_grad():
        a, b = head(dec(z))[..., : (t + 1) * up], head(dec(z2))[..., : (t + 1) * up]
    assert torch.allclose(a, b, atol=1e-6) == causal


def test_encodec_24khz_counts():
    """EnCodec 24 kHz (causal, true_skip false): 7,425,792 encoder and 7,426,018 decoder + head."""
    kw = {"latent_dim": 128, "causal": True}
    with torch.device("meta"):
        enc, dec, head = SEANetEncoder(**kw), SEANetDecoder(**kw), WaveformHead(32)
    assert n_params(enc) == 7_425_792
    assert n_params(dec) + n_params(head) == 7_426_018


@pytest.mark.parametrize("ratios,expected", [([8, 5, 4, 2], 8_802_816), ([6, 5, 5, 4], 8_303_104)])
def test_wavtokenizer_encoder_counts(ratios, expected):
    """WavTokenizer 75 Hz (hop 320) and 40 Hz (hop 600) encoders: SEANet with dimension 512."""
    with torch.device("meta"):
        enc = SEANetEncoder(latent_dim=512, ratios=ratios)
    assert n_params(enc) == expected
    assert enc.hop_length == (320 if expected == 8_802_816 else 600)


def test_yaml_instantiates_with_spine_defaults():
    cfg = root_config(encoder=group_node("encoder", "seanet"))
    enc = build(cfg, "encoder")
    assert isinstance(enc, SEANetEncoder)
    assert enc.hop_length == 320 and enc.latent_dim == 128 and enc.channels == 1


def test_bad_input_is_named():
    enc, _ = tiny_pair(False)
    with pytest.raises(ValueError, match=r"\(B, 1, T\)"):
        enc(torch.randn(2, 2, 64))
    with pytest.raises(ValueError, match="ratios"):
        SEANetEncoder(ratios=[])


def test_reflect_padding_refused_when_causal():
    with pytest.raises(ValueError, match="encoder.pad_mode=reflect"):
        SEANetEncoder(causal=True, pad_mode="reflect", **TINY)
