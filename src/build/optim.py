"""From conf/optim to optimizers and LR schedules.

optim.generator / optim.discriminator are `_partial_` configs (`_target_: torch.optim.AdamW`, lr, betas,
...) completed here with the trainable parameters; their targets pass src/safe_instantiate.py's allowlist
(torch.optim classes, or a prefix the user trusts). optim.scheduler feeds src.training.schedule.LRFactor.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import torch
from hydra.utils import instantiate
from omegaconf import DictConfig, OmegaConf
from torch.optim.lr_scheduler import LambdaLR

from src.safe_instantiate import checked_config
from src.training.schedule import LRFactor

DEFAULT_OPTIMIZER = "torch.optim.AdamW"  # a node without _target_ (a config written before conf/optim had one)
_FLOAT_ARGS = ("lr", "eps", "weight_decay", "momentum")  # `lr=1` on the command line is still a float rate


def build_optimizer(
    params: Iterable[torch.nn.Parameter], node: Mapping, key: str, trusted_targets=()
) -> torch.optim.Optimizer:
    """node: optim.<key>, a `_partial_` optimizer config -> that optimizer over the trainable `params`."""
    params = [p for p in params if p.requires_grad]
    if not params:
        raise ValueError(f"optim.{key}: the model has no trainable parameters")
    plain = OmegaConf.to_container(node, resolve=True) if isinstance(node, DictConfig) else dict(node)
    plain.setdefault("_target_", DEFAULT_OPTIMIZER)
    plain["_partial_"] = True
    factory = instantiate(checked_config(plain, trusted_targets, f"optim.{key}"), _convert_="all")
    kwargs = {name: _plain_arg(name, value) for name, value in factory.keywords.items()}
    try:
        return factory.func(params, *factory.args, **kwargs)
    except (TypeError, ValueError) as err:
        raise type(err)(f"optim.{key} ({plain['_target_']}): {err}") from err


def _plain_arg(name: str, value):
    if isinstance(value, list):  # betas: a tuple, as torch's own defaults (saved in the optimizer state)
        return tuple(float(v) if isinstance(v, int) and not isinstance(v, bool) else v for v in value)
    if name in _FLOAT_ARGS and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    return value


def build_scheduler(optimizer: torch.optim.Optimizer, node: Mapping, max_steps: int) -> LambdaLR:
    """node: optim.scheduler {name, warmup_steps, gamma, min_lr_ratio}; stepped once per optimizer step."""
    factor = LRFactor(
        node.get("name", "exponential"),
        node.get("warmup_steps", 0),
        node.get("gamma", 0.999996),
        node.get("min_lr_ratio", 0.0),
        max_steps,
    )
    return LambdaLR(optimizer, factor)
