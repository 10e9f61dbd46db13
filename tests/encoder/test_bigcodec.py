import torch

from src.decoder.bigcodec import BigCodecDecoder
from src.encoder.bigcodec import BigCodecEncoder
from src.nn.activations import AntiAliasActivation
from src.nn.lstm import SLSTM
from tests.zoo_helpers import assert_round_trip, build, group_node, root_config


def test_round_trip_with_odd_strides_and_lstm():
    enc = BigCodecEncoder(latent_dim=8, ngf=2, strides=(2, 5), lstm=1)
    dec = BigCodecDecoder(latent_dim=8, out_dim=2, channels=8, strides=(5, 2), lstm=1)
    assert enc.hop_length == 10
    assert_round_trip(enc, dec)
    assert any(isinstance(m, AntiAliasActivation) for m in enc.modules())


def test_lstm_is_unidirectional():
    enc = BigCodecEncoder(latent_dim=8, ngf=2, strides=(2,), lstm=1)
    lstms = [m.lstm for m in enc.modules() if isinstance(m, SLSTM)]
    assert len(lstms) == 1 and not lstms[0].bidirectional


def test_yaml_instantiates_hop_200():
    cfg = root_config(latent_dim=1024, encoder=group_node("encoder", "bigcodec", {"ngf": 1, "lstm": 0}))
    enc = build(cfg, "encoder")
    assert enc.hop_length == 200 and enc.latent_dim == 1024
    assert enc(torch.randn(1, 1, 400)).shape == (1, 1024, 2)
