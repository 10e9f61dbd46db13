"""Hydra callbacks of `python -m src.train` (registered under hydra.callbacks in conf/train.yaml).

RunDirGuard: before Hydra writes anything into the run directory (.hydra/, train.log), refuse a
  trainer.resume that would destroy the run already there (src.training.resume.check_run_dir).
SweepStatus: a multirun catches each job's failure (error.txt, so that the grid goes on); at the end of the
  sweep it says how many jobs failed and exits non-zero, so that `make ablate` and CI see the failure.
"""

from __future__ import annotations

import logging
import sys
import time
from pathlib import Path

from hydra.experimental.callback import Callback
from omegaconf import DictConfig, OmegaConf

log = logging.getLogger("codeclab.train")
ERROR_FILE = "error.txt"  # written by src/train.py into a failed job's directory


def run_dir_of(config: DictConfig) -> Path:
    """The run directory a single run will write: run_dir when set to a path, else hydra.run.dir."""
    raw = OmegaConf.to_container(config, resolve=False).get("run_dir")
    if isinstance(raw, str) and "${hydra:" not in raw:
        return Path(config.run_dir)
    return Path(config.hydra.run.dir)


class RunDirGuard(Callback):
    def on_run_start(self, config: DictConfig, **kwargs) -> None:
        if "trainer" not in config:
            return
        from src.training.resume import RunDirInUse, check_run_dir

        try:
            check_run_dir(config.trainer.get("resume"), run_dir_of(config))
        except (RunDirInUse, FileNotFoundError) as err:
            print(f"error: {err}", file=sys.stderr)
            raise SystemExit(2) from None


def failed_jobs(sweep_dir: Path, since: float) -> tuple[list[str], int]:
    """-> (names of the jobs of this sweep that wrote error.txt, number of jobs run) under sweep_dir;
    a job counts when Hydra wrote its .hydra/overrides.yaml at or after `since` (a file's mtime, not the
    directory's: a sweep re-run into the same dir rewrites the files in place)."""

    def written(path: Path) -> bool:
        return path.is_file() and path.stat().st_mtime >= since

    if not sweep_dir.is_dir():
        return [], 0
    jobs = [d for d in sweep_dir.iterdir() if written(d / ".hydra" / "overrides.yaml")]
    failed = [d.name for d in jobs if written(d / ERROR_FILE)]
    return sorted(failed, key=lambda n: (len(n), n)), len(jobs)


class SweepStatus(Callback):
    def on_multirun_start(self, config: DictConfig, **kwargs) -> None:
        self.start = time.time() - 1.0  # coarse file-system clocks: one second of slack

    def on_multirun_end(self, config: DictConfig, **kwargs) -> None:
        sweep_dir = Path(config.hydra.sweep.dir)
        failed, n_jobs = failed_jobs(sweep_dir, getattr(self, "start", 0.0))
        if not failed:
            print(f"sweep {sweep_dir}: {n_jobs} job(s), none failed", file=sys.stderr)
            return
        print(
            f"error: sweep {sweep_dir}: {len(failed)} of {n_jobs} job(s) failed (jobs {', '.join(failed)}); each "
            f"traceback is in <job>/{ERROR_FILE}, and `python -m src.report {sweep_dir}` shows them as failed rows",
            file=sys.stderr,
        )
        raise SystemExit(1)
