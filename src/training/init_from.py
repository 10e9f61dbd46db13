"""trainer.init_from=<run_dir>: start a new run from another run's weights (fine-tuning, a longer schedule
from a short one), with a fresh optimizer, schedule and step counter."""

from __future__ import annotations

import logging
from pathlib import Path

from torch import nn

from src.codec import WEIGHTS_FILE
from src.training.checkpoint import list_checkpoints, load_tensors

log = logging.getLogger(__name__)
DISCRIMINATORS_FILE = "discriminators.safetensors"


def _load_strict(module: nn.Module, path: Path, what: str) -> None:
    """Load `path` into `module` with every key matched, else ValueError listing missing/unexpected keys."""
    state = load_tensors(path)
    own = module.state_dict()
    missing, unexpected = sorted(set(own) - set(state)), sorted(set(state) - set(own))
    shapes = [
        f"{k}: {tuple(state[k].shape)} vs {tuple(own[k].shape)}"
        for k in sorted(set(own) & set(state))
        if state[k].shape != own[k].shape
    ]
    if missing or unexpected or shapes:
        raise ValueError(
            f"trainer.init_from: {path} does not fit this run's {what} (a different architecture): "
            f"missing keys {missing[:10]}{' ...' if len(missing) > 10 else ''}, unexpected keys "
            f"{unexpected[:10]}{' ...' if len(unexpected) > 10 else ''}, shape mismatches {shapes[:10]}. "
            "Compose the same encoder/quantizer/decoder/head (and discriminators) as that run"
        )
    module.load_state_dict(state, strict=True)


def init_weights_from(run_dir: str | Path, codec: nn.Module, discriminators: nn.ModuleDict, ema=None) -> None:
    """Load <run_dir>/codec.safetensors into `codec` (and the EMA copy), and, when this run has
    discriminators and run_dir's newest checkpoint holds theirs, those too; all strictly."""
    run_dir = Path(run_dir)
    weights = run_dir / WEIGHTS_FILE
    if not weights.is_file():
        raise FileNotFoundError(
            f"trainer.init_from={run_dir}: no {WEIGHTS_FILE} there; give the directory of a "
            "finished run (python -m src.train writes it at the end)"
        )
    _load_strict(codec, weights, "codec")
    if ema is not None:
        ema.shadow.load_state_dict(codec.state_dict())
    found = list_checkpoints(run_dir)
    discs_file = found[-1] / DISCRIMINATORS_FILE if found else None
    if len(discriminators) and discs_file is not None and discs_file.is_file():
        _load_strict(discriminators, discs_file, "discriminators")
        log.info("discriminator weights from %s", discs_file)
    log.info("initialised weights from %s (fresh optimizer and schedule)", run_dir)
