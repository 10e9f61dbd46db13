"""Trainable parameter counts of the published discriminator sets, built from conf/discriminator/*.yaml on
the meta device (no memory, no init time)."""

import pytest
import torch
from hydra.utils import instantiate
from omegaconf import OmegaConf

from tests.zoo_helpers import discriminator_variant

# BigCodec (Xin et al. 2024) config/model/default.yaml, expressed with our keys in the preset's variants
BIGCODEC_MPD = discriminator_variant("bigcodec_mpd")
BIGCODEC_MSSTFT = discriminator_variant("bigcodec_msstft")


def count(repo_root, name, **overrides) -> int:
    node = OmegaConf.load(repo_root / "conf" / "discriminator" / f"{name}.yaml")
    cfg = OmegaConf.merge(
        {"channels": 1, "sample_rate": 44100},
        {"discriminator": node},
        {"discriminator": {name: overrides}},
    )
    with torch.device("meta"):
        disc = instantiate(cfg.discriminator[name], _convert_="all")
    return sum(p.numel() for p in disc.parameters() if p.requires_grad)


def test_dac_discriminator_set(repo_root):
    # DAC's Discriminator(): MPD periods 2,3,5,7,11 + multi-band MRD at 2048, 1024, 512
    assert count(repo_root, "mpd") + count(repo_root, "multiband") == 42_519_760


def test_bigcodec_mpd(repo_root):
    assert count(repo_root, "mpd", **BIGCODEC_MPD) == 10_284_730


def test_bigcodec_msstft(repo_root):
    assert count(repo_root, "msstft", **BIGCODEC_MSSTFT) == 11_311_210


# extra first-conv weights per extra audio channel: sub-discriminators x first width x input maps x kernel
STEREO_EXTRA = {"mpd": 5 * 32 * 1 * 5, "msstft": 5 * 32 * 2 * 27, "multiband": 3 * 5 * 32 * 2 * 27}


@pytest.mark.parametrize("name", sorted(STEREO_EXTRA))
def test_stereo_adds_only_first_layer_weights(repo_root, name):
    """Channels-as-input: stereo widens the first conv of each sub-discriminator (band) only."""
    assert count(repo_root, name, channels=2) - count(repo_root, name) == STEREO_EXTRA[name]
