"""The build layer: the one place, besides the entry points, that reads a DictConfig.

Config becomes objects here (docs/architecture.md): the codec and discriminators (components.py), the
losses and weights (losses.py), the optimizers and schedules (optim.py), the data module and a ready
Trainer (trainer.py), and a codec back from a run directory (load_codec). src/training and the
components never import this package.
"""

from src.build.components import (
    COMPONENT_GROUPS,
    build_codec,
    build_discriminators,
    instantiate_node,
    load_codec,
    load_run_config,
)
from src.build.losses import build_losses, build_weights
from src.build.optim import build_optimizer, build_scheduler
from src.build.trainer import build_parts, build_trainer, trainer_settings

__all__ = [
    "COMPONENT_GROUPS",
    "build_codec",
    "build_discriminators",
    "build_losses",
    "build_optimizer",
    "build_parts",
    "build_scheduler",
    "build_trainer",
    "build_weights",
    "instantiate_node",
    "load_codec",
    "load_run_config",
    "trainer_settings",
]
