import pytest
import torch

from src.decoder.oobleck import OobleckDecoder
from src.encoder.oobleck import OobleckEncoder
from src.nn.snake import SnakeBeta
from tests.zoo_helpers import assert_round_trip, build, group_node, root_config

TINY = {"base_channels": 4, "c_mults": (1, 2), "strides": (2, 3)}


@pytest.mark.parametrize("nearest", [False, True])
def test_stereo_round_trip(nearest):
    enc = OobleckEncoder(channels=2, latent_dim=8, **TINY)
    dec = OobleckDecoder(latent_dim=4, out_dim=4, nearest_upsample=nearest, **TINY)
    assert enc.hop_length == 6
    z = enc(torch.randn(2, 2, 24))
    assert z.shape == (2, 8, 4)  # VAE: mean and scale; the decoder sees half
    assert_round_trip(enc, OobleckDecoder(latent_dim=8, out_dim=4, nearest_upsample=nearest, **TINY))
    assert dec(z[:, :4]).shape == (2, 4, 24)


@pytest.mark.parametrize("use_snake", [True, False])
def test_activation_choice(use_snake):
    enc = OobleckEncoder(channels=1, latent_dim=4, use_snake=use_snake, **TINY)
    assert any(isinstance(m, SnakeBeta) for m in enc.modules()) == use_snake
    assert any(isinstance(m, torch.nn.ELU) for m in enc.modules()) == (not use_snake)


def test_mismatched_lists_are_named():
    with pytest.raises(ValueError, match="encoder.c_mults"):
        OobleckEncoder(c_mults=(1, 2), strides=(2,))


def test_yaml_instantiates_stereo_hop_2048():
    cfg = root_config(
        sample_rate=44100,
        channels=2,
        latent_dim=64,
        q_in=128,
        q_out=64,
        encoder=group_node("encoder", "oobleck", {"base_channels": 2}),
    )
    enc = build(cfg, "encoder")
    assert enc.hop_length == 2048 and enc.latent_dim == 128 and enc.channels == 2
