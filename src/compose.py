"""Compose the training config outside `@hydra.main` (summary, tests, notebooks, Codec tooling)."""

from __future__ import annotations

from pathlib import Path

from hydra import compose, initialize_config_dir
from omegaconf import DictConfig, open_dict

from src.config import register_resolvers

REPO_ROOT = Path(__file__).resolve().parents[1]
CONF_DIR = REPO_ROOT / "conf"


def compose_train_config(overrides: list[str] | None = None, config_name: str = "train") -> DictConfig:
    """The same composition `python -m src.train <overrides>` performs (run_dir set to a placeholder).

    The experiments/ search path is absolute here, so this works from any working directory.
    """
    register_resolvers()  # conf/ wires sizes with ${mul:...}, ${prod:...}
    overrides = list(overrides or [])
    overrides.append(f"hydra.searchpath=[file://{REPO_ROOT / 'experiments'}]")
    with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
        cfg = compose(config_name=config_name, overrides=overrides)
    with open_dict(cfg):
        cfg.run_dir = "outputs/compose"  # `${hydra:runtime.output_dir}` only resolves inside a Hydra run
    return cfg
