"""Run loggers: metrics.jsonl (always), TensorBoard, Weights & Biases (offline unless a key is set)."""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Mapping
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)
METRICS_FILE = "metrics.jsonl"


def flatten_config(cfg: Mapping, prefix: str = "") -> dict:
    """{'quantizer': {'n_codebooks': 8}} -> {'quantizer.n_codebooks': 8}; lists are kept as values, so runs
    can be grouped by `encoder._target_` or `quantizer.n_codebooks` in W&B."""
    flat: dict = {}
    for key, value in cfg.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(flatten_config(value, f"{name}."))
        else:
            flat[name] = value
    return flat


def wandb_mode(mode: str) -> str:
    """logger.wandb.mode: auto -> online when WANDB_API_KEY is set, else offline (also when WANDB_MODE
    says so); online / offline / disabled are passed through."""
    if mode != "auto":
        return mode
    if os.environ.get("WANDB_MODE"):
        return os.environ["WANDB_MODE"]
    return "online" if os.environ.get("WANDB_API_KEY") else "offline"


def truncate_jsonl(path: Path, last_step: int) -> None:
    """On resume, drop the lines logged after the checkpoint's step (they will be logged again)."""
    if not path.exists():
        return
    kept = [ln for ln in path.read_text().splitlines() if ln.strip() and json.loads(ln).get("step", 0) <= last_step]
    path.write_text("".join(ln + "\n" for ln in kept))


class RunLogger:
    """One object for every sink. On processes other than the main one it is silent (`active=False`)."""

    def __init__(self, run_dir: str | Path, cfg: Mapping, config: Mapping, active: bool = True) -> None:
        self.run_dir, self.active = Path(run_dir), active
        self.tb = self.wandb = None
        if not active:
            return
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self._jsonl = open(self.run_dir / METRICS_FILE, "a")  # noqa: SIM115  (open for the run; closed in close())
        if cfg.get("tensorboard", {}).get("enabled", False):
            from torch.utils.tensorboard import SummaryWriter

            self.tb = SummaryWriter(log_dir=str(self.run_dir / "tensorboard"))
        wb = cfg.get("wandb", {})
        if wb.get("enabled", False) and wandb_mode(wb.get("mode", "auto")) != "disabled":
            self.wandb = self._start_wandb(wb, config)

    def _start_wandb(self, wb: Mapping, config: Mapping):
        import wandb

        run = wandb.init(
            project=wb.get("project", "codeclab"),
            entity=wb.get("entity"),
            group=wb.get("group"),
            tags=list(wb.get("tags") or []),
            name=wb.get("name") or self.run_dir.name,
            dir=str(self.run_dir),
            mode=wandb_mode(wb.get("mode", "auto")),
            config=flatten_config(config),
            resume="allow",
            id=_wandb_id(self.run_dir),
        )
        return run

    def log(self, step: int, split: str, values: Mapping[str, float]) -> None:
        if not self.active:
            return
        row = {
            "step": int(step),
            "split": split,
            "time": round(time.time(), 3),
            **{k: float(v) for k, v in values.items()},
        }
        self._jsonl.write(json.dumps(row) + "\n")
        self._jsonl.flush()
        if self.tb is not None:
            for k, v in values.items():
                self.tb.add_scalar(f"{split}/{k}", float(v), step)
        if self.wandb is not None:
            self.wandb.log({f"{split}/{k}": float(v) for k, v in values.items()}, step=int(step))

    def log_media(self, step: int, audio: Mapping[str, np.ndarray], sample_rate: int, figures: Mapping) -> None:
        """audio: name -> (C, T) float array; figures: name -> matplotlib Figure."""
        if not self.active:
            return
        if self.tb is not None:
            for name, wav in audio.items():
                self.tb.add_audio(f"demo/{name}", np.asarray(wav).mean(0), step, sample_rate=sample_rate)
            for name, fig in figures.items():
                self.tb.add_figure(f"demo/{name}", fig, step, close=False)
        if self.wandb is not None:
            import wandb

            media = {f"demo/{n}": wandb.Audio(np.asarray(w).T, sample_rate=sample_rate) for n, w in audio.items()}
            media.update({f"demo/{n}": wandb.Image(f) for n, f in figures.items()})
            self.wandb.log(media, step=int(step))

    def close(self) -> None:
        if not self.active:
            return
        self._jsonl.close()
        if self.tb is not None:
            self.tb.close()
        if self.wandb is not None:
            self.wandb.finish()


def _wandb_id(run_dir: Path) -> str:
    """A stable id per run directory, so a resumed run continues the same W&B run."""
    id_file = run_dir / "wandb_id.txt"
    if not id_file.exists():
        import uuid

        id_file.write_text(uuid.uuid4().hex[:12])
    return id_file.read_text().strip()
