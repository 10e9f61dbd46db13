from omegaconf import OmegaConf

from src.nn.lstm import SLSTM
from tests.zoo_helpers import build, group_node, root_config


def test_yaml_instantiates_out_dim_48_hop_200():
    cfg = root_config(latent_dim=16, decoder=group_node("decoder", "bigcodec", {"channels": 64, "lstm": 1}))
    dec = build(cfg, "decoder")
    assert dec.out_dim == 2 and dec.upsample == 200 and dec.latent_dim == 16
    assert sum(isinstance(m, SLSTM) for m in dec.modules()) == 1
    assert OmegaConf.select(root_config(decoder=group_node("decoder", "bigcodec")), "decoder.out_dim") == 48
