"""Compose the training config with the toy components (tests/training/conf) for fast trainer tests."""

from __future__ import annotations

from pathlib import Path

import torch
from hydra import compose, initialize_config_dir

ROOT = Path(__file__).resolve().parents[2]
TOY_CONF = ROOT / "tests" / "training" / "conf"

# the toy components live outside the project's packages: load_codec of a toy run must trust them by name
TOY_TARGETS = ["tests.training.toy_components"]

TOY_OVERRIDES = [
    f"hydra.searchpath=[file://{TOY_CONF}]",
    "data=toy",
    "encoder=toy",
    "quantizer=toy",
    "decoder=toy",
    "head=toy",
    "discriminator=[toy]",
    "latent_dim=8",
    "sample_rate=8000",
    "loss.reconstruction.mel.window_lengths=[64,128]",
    "loss.reconstruction.mel.n_mels=[8,16]",
    "trainer.cpu=true",
    "trainer.val_metrics=[]",
    "trainer.log_every=1",
    "trainer.val_every=0",
    "trainer.demo_every=0",
    "trainer.checkpoint_every=1000",
    "trainer.max_steps=2",
    "logger.wandb.enabled=false",
    "logger.tensorboard.enabled=false",
    "logger.progress_bar=false",
]


def toy_config(run_dir: Path, *overrides: str):
    """The composed config (a DictConfig) of a toy run writing to run_dir."""
    with initialize_config_dir(config_dir=str(ROOT / "conf"), version_base="1.3"):
        return compose("train", overrides=[*TOY_OVERRIDES, f"run_dir={run_dir}", *overrides])


def cli_args(run_dir: Path, *overrides: str) -> list[str]:
    """The same toy run as command-line overrides for `python -m src.train` (hydra.run.dir = run_dir)."""
    return [*TOY_OVERRIDES, f"hydra.run.dir={run_dir}", *overrides]


def state_of(module: torch.nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in module.state_dict().items()}


def assert_same_state(a: dict, b: dict, atol: float = 0.0) -> None:
    assert a.keys() == b.keys()
    for k, v in a.items():
        assert torch.allclose(v.float(), b[k].float(), atol=atol, rtol=0), f"{k} differs"
