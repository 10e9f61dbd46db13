"""Trainable parameter counts of the published discriminator sets, built from conf/discriminator/*.yaml on
the meta device (no memory, no init time)."""

import pytest
import torch
from hydra.utils import instantiate
from omegaconf import OmegaConf

import src.config  # noqa: F401

# BigCodec (Xin et al. 2024) config/model/default.yaml, expressed with our keys
BIGCODEC_MPD = {"filters": [16, 64, 256, 512, 512], "post_kernel_size": 2}
BIGCODEC_MSSTFT = {
    "n_ffts": [128, 256, 512, 1024, 2048],
    "hop_lengths": [32, 64, 128, 256, 512],
    "win_lengths": [128, 256, 512, 1024, 2048],
    "representation": "magnitude",
    "stft_padding": "center",
    "normalized": False,
    "filters_scale": 2,
    "max_filters": 512,
    "kernel_size": [5, 5],
    "stride": [2, 2],
    "dilations": [1, 1, 1],
    "first_stride": [2, 2],
}


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
