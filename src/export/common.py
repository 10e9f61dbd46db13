"""Checks shared by the exporters: the run's architecture must be one the target code builds."""

from __future__ import annotations

import logging

from omegaconf import DictConfig, ListConfig, OmegaConf
from torch import Tensor

log = logging.getLogger("codeclab.export")


def require(cfg: DictConfig, expected: dict, fmt: str) -> None:
    """Every `key: value` of `expected` (dotted config keys) must hold in cfg; else one error naming each
    key, its value and what `fmt` needs."""
    differ = []
    for key, want in expected.items():
        got = OmegaConf.select(cfg, key)
        got = OmegaConf.to_container(got) if isinstance(got, DictConfig | ListConfig) else got
        if got != want:
            differ.append(f"{key}={got!r} (needs {want!r})")
    if differ:
        raise ValueError(
            f"format={fmt} cannot represent this run: "
            + "; ".join(differ)
            + ". Export a run built from the matching preset"
        )


def codec_state(codec) -> dict[str, Tensor]:
    """The codec's persistent tensors, without codeclab's own codebook sampling-generator states."""
    return {k: v.detach().cpu().contiguous() for k, v in codec.state_dict().items() if not k.endswith("._extra_state")}


def warn(message: str) -> None:
    log.warning(message)
    print(f"warning: {message}")


def to_target(state: dict[str, Tensor], target: dict[str, Tensor], to_codeclab_key, source: str) -> dict:
    """codeclab `state` -> the names of `target` (the target model's own state dict), through the
    converter's name function `to_codeclab_key(target_name) -> codeclab name`; every key must pair."""
    from src.convert.common import check_keys

    names = {to_codeclab_key(k): k for k in target}
    check_keys(state, {ours: target[theirs] for ours, theirs in names.items()}, source)
    return {names[k]: v for k, v in state.items()}
