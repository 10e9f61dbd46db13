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
from src.discriminator.base import check_discriminator
from src.safe_instantiate import UnsafeTargetError, checked_config

COMPONENT_GROUPS = ("encoder", "quantizer", "decoder", "head")


def _instantiate(cfg: DictConfig, key: str, trusted_targets=None):
    """trusted_targets=None: cfg was composed from the user's command line (trusted); a list (maybe empty):
    cfg came from a file, so every target in the node must pass src.safe_instantiate's allowlist first."""
    node = OmegaConf.select(cfg, key)
    if node is None:
        raise KeyError(f"config has no `{key}` group: choose one, e.g. `{key}=<option>` (see --help)")
    if trusted_targets is not None:
        node = checked_config(node, trusted_targets, key)  # raises UnsafeTargetError before any call
    try:
        return instantiate(node, _convert_="all")
    except Exception as err:  # name the group whose construction failed
        raise type(err)(f"building `{key}` ({node.get('_target_')}) failed: {err}") from err


def build_codec(cfg: DictConfig, trusted_targets=None) -> Codec:
    """cfg: the composed training config -> Codec (encoder, quantizer, decoder, head).

    For a config read from a file pass trusted_targets (a list of extra prefixes, usually []): then only
    the allowlisted components are built (src/safe_instantiate.py)."""
    parts = {g: _instantiate(cfg, g, trusted_targets) for g in COMPONENT_GROUPS}
    return Codec(**parts, sample_rate=cfg.sample_rate, channels=cfg.channels)


def build_discriminators(cfg: DictConfig) -> nn.ModuleDict:
    """cfg.discriminator: {name: {_target_: ...}} (a multi-select group) -> ModuleDict by name."""
    node = cfg.get("discriminator") or {}
    discs = nn.ModuleDict({name: _instantiate(cfg, f"discriminator.{name}") for name in node})
    for name, disc in discs.items():  # the contract, and no batch statistics (src/discriminator/base.py)
        check_discriminator(name, disc)
    return discs


def load_run_config(path: str | Path, trusted_targets=()) -> DictConfig:
    """Read a run's resolved config.yaml as data: every `_target_` in it must pass the allowlist
    (src/safe_instantiate.py, plus the user's trusted_targets prefixes), else UnsafeTargetError naming the
    file, the key and the target. -> the resolved, checked config."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path} not found: expected a run directory's resolved config.yaml")
    try:
        return checked_config(OmegaConf.load(path), trusted_targets, source=str(path))
    except UnsafeTargetError as err:
        raise UnsafeTargetError(f"{path}: {err}") from None
