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


def test_exact_odd_strides_false_drops_one_sample_per_odd_stride():
    """The released DAC decoder's length: F * prod(strides) minus one sample per odd stride, scaled by the
    strides after it; the exact default keeps F * prod(strides)."""
    import torch

    z = torch.randn(1, 8, 5)
    exact = DACDecoder(latent_dim=8, out_dim=4, channels=16, strides=(5, 2))
    released = DACDecoder(latent_dim=8, out_dim=4, channels=16, strides=(5, 2), exact_odd_strides=False)
    released.load_state_dict(exact.state_dict())  # same parameters: only the output length differs
    assert exact(z).shape[-1] == 5 * 10
    assert released(z).shape[-1] == 5 * 10 - 2  # (5 * 5 - 1) * 2
