import pytest

from src.decoder.dac import DACDecoder
from tests.zoo_helpers import build, group_node, root_config


def test_out_dim_is_channels_halved_per_block():
    cfg = root_config(latent_dim=8, decoder=group_node("decoder", "dac", {"channels": 32}))
    dec = build(cfg, "decoder")
    assert dec.out_dim == 32 // 16 and dec.upsample == 320 and dec.latent_dim == 8


def test_out_dim_mismatch_is_named():
    with pytest.raises(ValueError, match="decoder.out_dim=5"):
        DACDecoder(latent_dim=8, out_dim=5, channels=16, strides=(2, 2))
