"""Every conf/discriminator/*.yaml wraps its body under its own name, targets src/discriminator/<name>.py,
instantiates at full size (meta device) and runs at a tiny size."""

import pytest
import torch
from hydra.utils import instantiate
from omegaconf import OmegaConf

from src.discriminator.base import Discriminator
from src.types import DiscriminatorOutput
from tests.discriminator.test_discriminators import CASES

CONF = __import__("pathlib").Path(__file__).resolve().parents[2] / "conf" / "discriminator"
NAMES = sorted(p.stem for p in CONF.glob("*.yaml"))


def compose(name, channels=1, **overrides):
    node = OmegaConf.load(CONF / f"{name}.yaml")
    return OmegaConf.merge(
        {"channels": channels, "sample_rate": 16000},
        {"discriminator": node},
        {"discriminator": {name: overrides}},
    )


def test_options_and_modules_mirror_each_other():
    """Each conf/discriminator option has its module, and each module defining a Discriminator has its yaml."""
    modules = CONF.parents[1] / "src" / "discriminator"
    assert NAMES and all((modules / f"{name}.py").exists() for name in NAMES)
    for path in modules.glob("*.py"):
        module = __import__(f"src.discriminator.{path.stem}", fromlist=["_"])
        own = [
            c
            for c in vars(module).values()
            if isinstance(c, type)
            and issubclass(c, Discriminator)
            and c.__module__ == module.__name__
            and not getattr(c, "__abstractmethods__", None)
        ]
        if path.stem not in ("base", "common"):
            assert not own or path.stem in NAMES, f"src/discriminator/{path.name} has no conf/discriminator yaml"


@pytest.mark.parametrize("name", NAMES)
def test_yaml_wraps_under_its_name_and_targets_its_module(name):
    node = OmegaConf.load(CONF / f"{name}.yaml")
    assert list(node.keys()) == [name]
    assert node[name]._target_.startswith(f"src.discriminator.{name}.")
    with torch.device("meta"):
        disc = instantiate(compose(name).discriminator[name], _convert_="all")
    assert disc.channels == 1


@pytest.mark.parametrize("name", NAMES)
def test_yaml_runs_at_tiny_size_in_stereo(name):
    """At the tiny widths of test_discriminators.CASES; an option without a case runs at its yaml's size."""
    _, tiny, n_sub, _ = CASES.get(name, (None, {}, None, None))
    disc = instantiate(compose(name, channels=2, **tiny).discriminator[name], _convert_="all")
    out = disc(torch.randn(1, 2, 1000))
    assert isinstance(out, DiscriminatorOutput) and len(out.logits) == (n_sub or len(out.fmaps)) > 0
