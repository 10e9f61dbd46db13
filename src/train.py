"""`python -m src.train [group=option ...] [key=value ...]`: train a codec from the composed config.

The composed config is checked at start-up, before any model, checkpoint or log (src/build/config_checks.py,
docs/config_checks.md): a bad value exits with status 1 and one message naming each key. The command line,
conf/ and experiments/ are trusted; a run directory read back (post-training evaluation) is data
(docs/security.md).

Hydra provides the command line: overrides, `--cfg job` (print the composed config), `--help` (the
config groups and their options), `-m` multiruns; each run writes to its own output dir (hydra.run.dir),
which is the run directory: checkpoints/, metrics.jsonl, tensorboard/, wandb/, codec.safetensors,
config.yaml. Several processes: `torchrun --nproc_per_node N -m src.train ...`.

In a multirun (`ablation=<grid>` or `-m`), every job joins the W&B group named after the sweep, tagged
with its swept choices, and a failing job writes `error.txt` into its directory and lets the sweep go on
(the sweep report shows it as a failed row). The return value, the last validation mel distance, is the
objective an Optuna sweeper minimises.
"""

from __future__ import annotations

import logging
import math
import os
import traceback
from pathlib import Path

import hydra
from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode
from omegaconf import DictConfig, open_dict

from src.config import register_resolvers

log = logging.getLogger("codeclab.train")
register_resolvers()  # before @hydra.main composes conf/ (the resolvers wire sizes)
OBJECTIVE = ("mel_distance", "loss/mel")  # first one present in the last validation is returned


def _join_sweep(cfg: DictConfig, hydra_cfg) -> None:
    """W&B: group = the sweep directory's name relative to multirun/, tags = this job's overrides."""
    wandb_cfg = cfg.logger.wandb
    with open_dict(cfg):
        if not wandb_cfg.get("group"):
            sweep_dir = Path(hydra_cfg.sweep.dir)
            wandb_cfg.group = "/".join(sweep_dir.parts[-2:])
        choices = [o for o in hydra_cfg.overrides.task if not o.startswith(("hydra", "ablation="))]
        wandb_cfg.tags = list(wandb_cfg.get("tags") or []) + choices


def _inside_launcher_pool() -> bool:
    """True in a joblib (loky) launcher worker: it sets a start method multiprocessing does not know, so
    a metric pool started from there cannot start, and the launcher already uses the cores anyway."""
    import multiprocessing as mp

    method = mp.get_start_method(allow_none=True)
    return method is not None and method not in mp.get_all_start_methods()


def _post_eval(cfg: DictConfig, multirun: bool) -> None:
    """The evaluation suite on the exported codec (rank 0 only), written to <run_dir>/eval/."""
    enabled = cfg.post_eval.enabled
    if not (multirun if enabled == "auto" else bool(enabled)):
        return
    from hydra import compose

    from src.evaluate import evaluate
    from src.safe_instantiate import targets_outside_allowlist

    if int(os.environ.get("RANK", "0")) != 0:  # torchrun: rank 0 alone scores the exported codec
        return
    p = cfg.post_eval
    workers = 0 if _inside_launcher_pool() else p.num_workers  # 0 = score in this process
    # the run's config.yaml is read back as data (allowlisted); the components this trusted command line
    # chose outside the project's packages are trusted by name, so the user's own codec still evaluates
    trusted = ",".join(f"'{t}'" for t in targets_outside_allowlist(cfg))
    overrides = [
        f"run_dir={cfg.run_dir}",
        f"metrics={p.metrics}",
        f"max_items={p.max_items or 'null'}",
        f"num_workers={'null' if workers is None else workers}",
        f"trusted_targets=[{trusted}]",
    ]
    evaluate(compose(config_name="evaluate", overrides=overrides))


def _objective(summary: dict) -> float:
    values = summary.get("validation") or {}
    for name in OBJECTIVE:
        if name in values:
            return float(values[name])
    return math.nan


def _train_and_score(cfg: DictConfig, multirun: bool, hydra_cfg=None) -> float:
    from src.build import build_trainer
    from src.build.config_checks import check_config

    check_config(cfg)  # every key at start-up, before the run directory or any model exists
    if multirun:
        _join_sweep(cfg, hydra_cfg)
    summary = build_trainer(cfg).fit()
    _post_eval(cfg, multirun)
    return _objective(summary)


@hydra.main(config_path="../conf", config_name="train", version_base="1.3")
def main(cfg: DictConfig) -> float:
    from src.build.config_checks import ConfigError

    hydra_cfg = HydraConfig.get()
    if hydra_cfg.mode != RunMode.MULTIRUN:
        try:
            return _train_and_score(cfg, multirun=False)
        except ConfigError as err:  # the user's own typo: the keys and fixes, not a traceback
            raise SystemExit(f"src.train: {err}") from None
    try:
        return _train_and_score(cfg, multirun=True, hydra_cfg=hydra_cfg)
    except Exception:  # noqa: BLE001  (one failed job must not stop the grid: record it for the report)
        error = traceback.format_exc()
        Path(hydra_cfg.runtime.output_dir, "error.txt").write_text(error)
        log.error("job %s failed; traceback in error.txt:\n%s", hydra_cfg.job.num, error)
        return math.nan


if __name__ == "__main__":
    main()
