"""Presets reproduce published codecs: per-component trainable parameter counts and frame rates.

Only the model-zoo components (encoder, decoder, head) are built here, on the meta device (no memory),
from conf/<group>/<option>.yaml merged with the preset's values, exactly as Hydra would compose them.
"""
import pytest
import torch
from omegaconf import OmegaConf

from tests.zoo_helpers import ROOT, build, group_node, n_params, root_config

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


def load_preset(name: str) -> tuple[dict, dict]:
    """-> (group choices {group: option}, merged values) following the preset's defaults list."""
    node = OmegaConf.to_container(OmegaConf.load(PRESETS / f"{name}.yaml"))
    groups: dict = {}
    values = OmegaConf.create({})
    for entry in node.pop("defaults", []):
        if isinstance(entry, str) and entry != "_self_":  # another preset it extends
            parent_groups, parent_values = load_preset(entry)
            groups.update(parent_groups)
            values = OmegaConf.merge(values, parent_values)
        elif isinstance(entry, dict):
            ((key, option),) = entry.items()
            groups[key.removeprefix("override /")] = option
    return groups, OmegaConf.merge(values, node)


def compose(name: str):
    groups, values = load_preset(name)
    latent = values.latent_dim
    vae = groups["quantizer"] == "vae"  # the VAE bottleneck takes mean and scale: 2 x latent in
    cfg = root_config(values.sample_rate, values.get("channels", 1), latent,
                      q_in=2 * latent if vae else latent, q_out=latent)
    for group in ("encoder", "decoder", "head"):
        node = group_node(group, groups[group], values.get(group))
        cfg = OmegaConf.merge(cfg, {group: node})
    return cfg, values


def build_zoo(cfg):
    with torch.device("meta"):
        return build(cfg, "encoder"), build(cfg, "decoder"), build(cfg, "head")


@pytest.mark.parametrize("name", sorted(TABLE))
def test_preset_matches_published_counts_and_rates(name):
    sr, hop, fps, n_codebooks, n_enc, n_dec = TABLE[name]
    cfg, values = compose(name)
    enc, dec, head = build_zoo(cfg)
    assert cfg.sample_rate == sr and enc.hop_length == hop
    assert round(cfg.sample_rate / enc.hop_length, 2) == fps
    assert n_params(enc) == n_enc
    assert n_params(dec) + n_params(head) == n_dec
    if n_codebooks is not None:
        assert values.quantizer.n_codebooks == n_codebooks


@pytest.mark.parametrize("name", [*sorted(TABLE), "tiny"])
def test_preset_wiring(name):
    cfg, _ = compose(name)
    enc, dec, head = build_zoo(cfg)
    assert enc.hop_length == dec.upsample * head.upsample
    assert enc.latent_dim == cfg.quantizer.input_dim and dec.latent_dim == cfg.quantizer.output_dim
    assert dec.out_dim == head.in_dim and head.channels == cfg.channels


def test_tiny_is_tiny():
    cfg, _ = compose("tiny")
    n = sum(n_params(m) for m in build_zoo(cfg))
    assert 10_000 < n < 250_000


def test_every_preset_names_its_source():
    for name in [*TABLE, "tiny"]:
        path = PRESETS / f"{name}.yaml"
        text = path.read_text()
        assert text.startswith("# @package _global_"), path
        assert "Source:" in text or path.stem == "tiny", f"{path} must name the paper config it follows"
