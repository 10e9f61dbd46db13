import torch

from tests.zoo_helpers import build, group_node, root_config


def test_yaml_instantiates_and_walks_strides_backwards():
    cfg = root_config(
        channels=2, latent_dim=64, q_in=128, q_out=64, decoder=group_node("decoder", "oobleck", {"base_channels": 2})
    )
    dec = build(cfg, "decoder")
    assert dec.latent_dim == 64 and dec.out_dim == 2 and dec.upsample == 2048
    ups = [m for m in dec.modules() if isinstance(m, torch.nn.ConvTranspose1d)]
    assert [m.stride[0] for m in ups] == [8, 8, 4, 4, 2]
    assert [m.in_channels for m in ups] == [32, 16, 8, 4, 2]


def test_nearest_upsample_has_no_transposed_conv():
    cfg = root_config(
        latent_dim=8,
        decoder=group_node(
            "decoder", "oobleck", {"base_channels": 2, "c_mults": [1, 2], "strides": [2, 2], "nearest_upsample": True}
        ),
    )
    dec = build(cfg, "decoder")
    assert not any(isinstance(m, torch.nn.ConvTranspose1d) for m in dec.modules())
    assert dec(torch.randn(1, 8, 5)).shape == (1, 2, 20)
