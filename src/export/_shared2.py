"""Checks shared by the Vocos and Oobleck exporters: the run's config must build what the format holds."""

from __future__ import annotations

from omegaconf import DictConfig, OmegaConf


def require_targets(cfg: DictConfig, wanted: dict[str, str], fmt: str) -> None:
    """Each config group must build the named class, else an error naming the key and what to do."""
    for key, target in wanted.items():
        got = OmegaConf.select(cfg, f"{key}._target_")
        if got != target:
            raise ValueError(
                f"export format={fmt}: {key}._target_ is {got!r}, the format holds {target}; "
                f"export a run built like preset={fmt}"
            )


def require_values(cfg: DictConfig, wanted: dict[str, object], fmt: str) -> None:
    for key, value in wanted.items():
        got = OmegaConf.select(cfg, key)
        if got != value:
            raise ValueError(
                f"export format={fmt}: {key}={got!r}, but the official code has no such option (it needs {value!r})"
            )
