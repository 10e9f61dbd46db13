"""Presets reproduce published codecs: per-component trainable parameter counts and frame rates.

Only the model-zoo components (encoder, decoder, head) are built here, on the meta device (no memory),
from the config Hydra composes for `preset=<name>` (group options from conf/ and experiments/<group>/).
"""

import pytest
import torch

from src.compose import compose_train_config
from tests.zoo_helpers import ROOT, build, n_params

PRESETS = ROOT / "experiments" / "preset"

# preset: sample rate, hop, frames/s, n_codebooks (None: continuous), encoder, decoder + head
TABLE = {
    "dac_16khz": (16000, 320, 50.0, 12, 21_521_536, 52_334_690),
    "dac_24khz": (24000, 320, 75.0, 32, 21_521_536, 52_334_690),
    "dac_44khz": (44100, 512, 86.13, 9, 22_307_968, 54_104_162),
    "encodec_24khz": (24000, 320, 75.0, 32, 7_425_792, 7_426_018),
    "bigcodec": (16000, 200, 80.0, None, 76_530_704, 82_821_602),
    "oobleck": (44100, 2048, 21.53, None, 77_989_888, 78_122_626),
}


def compose(name: str):
    """The config `python -m src.train preset=<name>` composes."""
    return compose_train_config([f"preset={name}"])


def build_zoo(cfg):
    with torch.device("meta"):
        return build(cfg, "encoder"), build(cfg, "decoder"), build(cfg, "head")


@pytest.mark.parametrize("name", sorted(TABLE))
def test_preset_matches_published_counts_and_rates(name):
    sr, hop, fps, n_codebooks, n_enc, n_dec = TABLE[name]
    cfg = compose(name)
    enc, dec, head = build_zoo(cfg)
    assert cfg.sample_rate == sr and enc.hop_length == hop
    assert round(cfg.sample_rate / enc.hop_length, 2) == fps
    assert n_params(enc) == n_enc
    assert n_params(dec) + n_params(head) == n_dec
    if n_codebooks is not None:
        assert cfg.quantizer.n_codebooks == n_codebooks


@pytest.mark.parametrize("name", [*sorted(TABLE), "tiny"])
def test_preset_wiring(name):
    cfg = compose(name)
    enc, dec, head = build_zoo(cfg)
    assert enc.hop_length == dec.upsample * head.upsample
    assert enc.latent_dim == cfg.quantizer.input_dim and dec.latent_dim == cfg.quantizer.output_dim
    assert dec.out_dim == head.in_dim and head.channels == cfg.channels


def test_tiny_is_tiny():
    cfg = compose("tiny")
    n = sum(n_params(m) for m in build_zoo(cfg))
    assert 10_000 < n < 250_000


def test_every_preset_names_its_source():
    for name in [*TABLE, "tiny"]:
        path = PRESETS / f"{name}.yaml"
        text = path.read_text()
        assert text.startswith("# @package _global_"), path
        assert "Source:" in text or path.stem == "tiny", f"{path} must name the paper config it follows"
