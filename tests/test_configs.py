"""Every config option composes and instantiates, and follows the `_target_` layout rule of DESIGN.md."""

import pytest
import torch
import yaml
from hydra.utils import instantiate

from src.build import build_codec, build_discriminators
from src.compose import CONF_DIR, REPO_ROOT, compose_train_config
from src.decoder.base import Decoder
from src.discriminator.base import Discriminator
from src.encoder.base import Encoder
from src.head.base import Head
from src.quantizer.base import Quantizer

# conf/<group>/<option>.yaml builds src/<group>/<option>.py (one _target_ per file).
MIRRORED_GROUPS = ("encoder", "quantizer", "decoder", "head")
BASES = {"encoder": Encoder, "quantizer": Quantizer, "decoder": Decoder, "head": Head}  # src/<group>/base.py


def options(group: str) -> list[str]:
    return sorted(p.stem for p in (CONF_DIR / group).glob("*.yaml"))


def presets() -> list[str]:
    return sorted(p.stem for p in (REPO_ROOT / "experiments" / "preset").glob("*.yaml"))


def _targets(node) -> list[str]:
    if isinstance(node, dict):
        found = [node["_target_"]] if "_target_" in node else []
        return found + [t for v in node.values() for t in _targets(v)]
    if isinstance(node, list):
        return [t for v in node for t in _targets(v)]
    return []


@pytest.mark.parametrize("group", MIRRORED_GROUPS)
def test_mirrored_groups_follow_target_rule(group):
    assert options(group), f"conf/{group}/ has no options"
    for option in options(group):
        raw = yaml.safe_load((CONF_DIR / group / f"{option}.yaml").read_text())
        targets = _targets(raw)
        assert len(targets) == 1, f"conf/{group}/{option}.yaml must have exactly one _target_, has {targets}"
        module = targets[0].rsplit(".", 1)[0]
        assert module == f"src.{group}.{option}", f"conf/{group}/{option}.yaml targets {targets[0]}"


def test_discriminator_options_wrap_body_under_their_name():
    for option in options("discriminator"):
        raw = yaml.safe_load((CONF_DIR / "discriminator" / f"{option}.yaml").read_text())
        assert list(raw) == [option], f"conf/discriminator/{option}.yaml must wrap its body under `{option}:`"
        assert raw[option]["_target_"].startswith(f"src.discriminator.{option}.")


@pytest.mark.parametrize("group", MIRRORED_GROUPS)
def test_every_option_instantiates(group):
    for option in options(group):
        cfg = compose_train_config([f"{group}={option}"])
        with torch.device("meta"):
            module = instantiate(cfg[group], _convert_="all")
        assert isinstance(module, BASES[group]), f"{group}={option} does not inherit {BASES[group]}"


def test_every_discriminator_instantiates():
    for option in options("discriminator"):
        cfg = compose_train_config([f"discriminator=[{option}]"])
        with torch.device("meta"):
            discs = build_discriminators(cfg)
        assert list(discs) == [option] and isinstance(discs[option], Discriminator)


@pytest.mark.parametrize("group", ["loss", "data", "optim", "trainer", "logger"])
def test_other_groups_compose_and_targets_import(group):
    for option in options(group):
        cfg = compose_train_config([f"{group}={option}"])
        for target in _targets(yaml.safe_load((CONF_DIR / group / f"{option}.yaml").read_text())):
            module, name = target.rsplit(".", 1)
            assert getattr(__import__(module, fromlist=[name]), name), target
        assert cfg[group] is not None


def test_default_codec_builds_and_round_trips_length():
    codec = build_codec(compose_train_config([])).eval()
    wav = torch.randn(1, codec.channels, codec.sample_rate // 2 + 7)
    codes = codec.encode(wav)
    assert codes.dtype == torch.int64 and codes.shape[-1] == -(-wav.shape[-1] // codec.hop_length)
    assert codec.decode(codes, length=wav.shape[-1]).shape == wav.shape


@pytest.mark.parametrize("preset", presets())
def test_every_preset_composes_and_builds(preset):
    cfg = compose_train_config([f"preset={preset}"])
    with torch.device("meta"):
        codec = build_codec(cfg)
    assert codec.hop_length > 0


# ------------------------------------------------------------ per-preset variants under experiments/<group>/
VARIANT_GROUPS = (*MIRRORED_GROUPS, "discriminator")


def variants() -> list[tuple[str, str]]:
    return [(g, p.stem) for g in VARIANT_GROUPS for p in sorted((REPO_ROOT / "experiments" / g).glob("*.yaml"))]


def test_variants_are_found():
    assert len(variants()) >= 30 and {g for g, _ in variants()} == set(VARIANT_GROUPS)


@pytest.mark.parametrize(("group", "variant"), variants(), ids=[f"{g}/{v}" for g, v in variants()])
def test_every_variant_composes_and_instantiates_through_the_allowlist(group, variant):
    """experiments/<group>/<variant>.yaml extends a conf/<group> option; it composes over train.yaml and
    builds (meta device) after src.safe_instantiate's allowlist accepted every target in it."""
    from src.safe_instantiate import checked_config

    choice = f"[{variant}]" if group == "discriminator" else variant
    cfg = compose_train_config([f"{group}={choice}"])
    node = checked_config(cfg[group], [], group)
    with torch.device("meta"):
        if group == "discriminator":
            (name,) = node  # the variant wraps its body under the option it extends
            assert (CONF_DIR / "discriminator" / f"{name}.yaml").exists()
            module = instantiate(node[name], _convert_="all")
        else:
            module = instantiate(node, _convert_="all")
    assert isinstance(module, torch.nn.Module)
    target = (node[name] if group == "discriminator" else node)._target_
    assert target.startswith(f"src.{group}."), f"experiments/{group}/{variant}.yaml targets {target}"


def test_metric_suites_list_registered_metrics():
    """conf/metrics/<suite>.yaml: `names` and `options` keys are names the metric classes declare."""
    from src.metrics.registry import registry

    for suite in options("metrics"):
        raw = yaml.safe_load((CONF_DIR / "metrics" / f"{suite}.yaml").read_text())
        unknown = [n for n in [*raw["names"], *(raw.get("options") or {})] if n not in registry()]
        assert not unknown, f"conf/metrics/{suite}.yaml names unregistered metrics {unknown}"
