import pytest
import torch

from src.decoder.dac import DACDecoder
from src.encoder.dac import DACEncoder
from tests.zoo_helpers import assert_round_trip, build, group_node, root_config


@pytest.mark.parametrize("strides", [(2, 4), (3, 5), (2, 5)])
def test_hop_and_length_round_trip_even_and_odd_strides(strides):
    enc = DACEncoder(latent_dim=8, d_model=4, strides=strides)
    dec = DACDecoder(latent_dim=8, out_dim=4, channels=16, strides=tuple(reversed(strides)))
    assert enc.hop_length == strides[0] * strides[1]
    assert_round_trip(enc, dec)


def test_width_doubles_per_block():
    enc = DACEncoder(latent_dim=8, d_model=4, strides=(2, 2, 2))
    downs = [m for m in enc.modules() if isinstance(m, torch.nn.Conv1d) and m.stride[0] == 2]
    assert [(c.in_channels, c.out_channels) for c in downs] == [(4, 8), (8, 16), (16, 32)]


def test_yaml_instantiates_at_16khz_hop_320():
    cfg = root_config(latent_dim=1024, encoder=group_node("encoder", "dac", {"d_model": 2}))
    enc = build(cfg, "encoder")
    assert isinstance(enc, DACEncoder) and enc.hop_length == 320 and enc.latent_dim == 1024


def test_wrong_channels_is_named():
    with pytest.raises(ValueError, match=r"\(B, 1, T\)"):
        DACEncoder(latent_dim=8, d_model=2, strides=(2,))(torch.randn(1, 2, 8))
