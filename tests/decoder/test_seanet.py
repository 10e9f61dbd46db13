import pytest
import torch

from src.decoder.seanet import SEANetDecoder
from tests.zoo_helpers import build, group_node, root_config


def test_upsample_and_out_dim():
    dec = SEANetDecoder(latent_dim=6, out_dim=3, n_filters=3, ratios=[3, 2], lstm=0)
    h = dec(torch.randn(2, 6, 7))
    assert dec.upsample == 6 and h.shape == (2, 3, 42)


def test_out_dim_mismatch_names_the_key():
    with pytest.raises(ValueError, match="decoder.out_dim"):
        SEANetDecoder(latent_dim=8, out_dim=16, n_filters=4)


def test_yaml_instantiates_and_mirrors_encoder():
    cfg = root_config(q_out=64, encoder=group_node("encoder", "seanet"), decoder=group_node("decoder", "seanet"))
    dec, enc = build(cfg, "decoder"), build(cfg, "encoder")
    assert dec.latent_dim == 64 and dec.out_dim == 32
    assert dec.upsample == enc.hop_length == 320
