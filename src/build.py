"""From a composed config to objects: the one place (besides the entry points) that reads a DictConfig.

Components themselves take plain keyword arguments and know nothing of Hydra.
"""
from __future__ import annotations

from pathlib import Path

from hydra.utils import instantiate
from omegaconf import DictConfig, OmegaConf
from torch import nn

import src.config  # noqa: F401  (registers the resolvers used by conf/)
from src.codec import Codec

COMPONENT_GROUPS = ("encoder", "quantizer", "decoder", "head")


def _instantiate(cfg: DictConfig, key: str):
    node = OmegaConf.select(cfg, key)
    if node is None:
        raise KeyError(f"config has no `{key}` group: choose one, e.g. `{key}=<option>` (see --help)")
    try:
        return instantiate(node, _convert_="all")
    except Exception as err:  # name the group whose construction failed
        raise type(err)(f"building `{key}` ({node.get('_target_')}) failed: {err}") from err


def build_codec(cfg: DictConfig) -> Codec:
    """cfg: the composed training config -> Codec (encoder, quantizer, decoder, head)."""
    parts = {g: _instantiate(cfg, g) for g in COMPONENT_GROUPS}
    return Codec(**parts, sample_rate=cfg.sample_rate, channels=cfg.channels)


def build_discriminators(cfg: DictConfig) -> nn.ModuleDict:
    """cfg.discriminator: {name: {_target_: ...}} (a multi-select group) -> ModuleDict by name."""
    node = cfg.get("discriminator") or {}
    return nn.ModuleDict({name: _instantiate(cfg, f"discriminator.{name}") for name in node})


def load_run_config(path: str | Path) -> DictConfig:
    """Read a run's resolved config.yaml."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path} not found: expected a run directory's resolved config.yaml")
    return OmegaConf.load(path)
