"""Benchmarks behind `python -m src.bench <name>`; each module exposes main(overrides) -> dict."""

from __future__ import annotations


def parse_options(defaults: dict, overrides: list[str]) -> dict:
    """key=value arguments over `defaults`, each value cast to its default's type; unknown keys are refused."""
    opts = dict(defaults)
    for item in overrides:
        key, sep, value = item.partition("=")
        if not sep or key not in opts:
            raise ValueError(f"bad argument {item!r}: use key=value with key in {sorted(opts)}")
        opts[key] = type(defaults[key])(value)
    return opts


def split_options(defaults: dict, overrides: list[str]) -> tuple[dict, list[str]]:
    """-> (the benchmark's own key=value options over `defaults`, the rest: Hydra overrides of the config)."""
    ours = [item for item in overrides if item.partition("=")[0] in defaults]
    return parse_options(defaults, ours), [item for item in overrides if item not in ours]


def compose_bench_config(overrides: list[str], run_dir: str):
    """The training config as `src.train` composes it, with logging off and run_dir in a temp dir."""
    from omegaconf import open_dict

    from src.compose import compose_train_config

    fixed = [
        "trainer.resume=none",
        "logger.wandb.enabled=false",
        "logger.tensorboard.enabled=false",
        "logger.progress_bar=false",
        "trainer.val_metrics=[]",
    ]
    cfg = compose_train_config([*overrides, *fixed])
    with open_dict(cfg):
        cfg.run_dir = run_dir
    return cfg
