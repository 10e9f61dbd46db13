"""Saving a TrainState as a checkpoint and resuming one (collective: every process calls both).

The on-disk format and the refusals live in src/training/checkpoint.py and src/training/resume.py; this
module only connects them to a TrainState, the processes and the RNG streams.
"""

from __future__ import annotations

import logging
from pathlib import Path

from accelerate.utils import broadcast_object_list

from src.training.checkpoint import (
    CheckpointWriter,
    CorruptCheckpoint,
    read_checkpoint,
    restore_rng,
)
from src.training.loggers import METRICS_FILE, truncate_jsonl
from src.training.resume import RunDirInUse, load_resume
from src.training.rng import seed_everything
from src.training.state import TrainState

log = logging.getLogger(__name__)


class Checkpointer:
    """acc: the Accelerator; run_dir: where checkpoints/ lives; keep_last: complete checkpoints kept;
    seed: the run's seed (reseeds the RNG streams when a checkpoint comes from another world size)."""

    def __init__(self, acc, run_dir: Path, keep_last: int, seed: int) -> None:
        self.acc, self.run_dir, self.keep_last, self.seed = acc, Path(run_dir), int(keep_last), int(seed)

    def save(self, state: TrainState) -> Path:
        weights, objects, counters = state.checkpoint(self.acc.num_processes)
        writer = CheckpointWriter(self.run_dir, self.keep_last, self.acc)
        return writer.save(state.step, weights, objects, counters)

    def resume(self, state: TrainState, resume) -> str | None:
        """Restore `state` from trainer.resume (auto / none / path); the main process picks the path.
        -> the checkpoint resumed from, or None for a fresh start."""
        holder, ckpt, error = [None, None], None, None
        if self.acc.is_main_process:
            try:  # refuses a resume that would destroy the run in run_dir; skips a corrupt newest checkpoint
                path, ckpt = load_resume(resume, self.run_dir, self.acc.process_index)
                holder = [str(path) if path else None, None]
            except (RunDirInUse, CorruptCheckpoint, FileNotFoundError) as err:
                error, holder = err, [None, f"{type(err).__name__}: {err}"]
        if self.acc.num_processes > 1:
            broadcast_object_list(holder, from_process=0)
        if holder[1] is not None:  # every rank stops with rank 0's reason (none would wait forever)
            raise error if error is not None else RuntimeError(f"rank 0 refused to resume: {holder[1]}")
        if holder[0] is None:
            return None
        if ckpt is None:
            ckpt = read_checkpoint(Path(holder[0]), self.acc.process_index)
        state.restore(ckpt)
        self._restore_rng(ckpt["rng"], ckpt["state"]["world_size"], state.step)
        if self.acc.is_main_process:  # once per run, not once per process
            truncate_jsonl(self.run_dir / METRICS_FILE, state.step)
            log.info(
                "resumed from %s at step %d (epoch %d, batch %d)",
                holder[0],
                state.step,
                state.epoch,
                state.batch_in_epoch,
            )
        return holder[0]

    def _restore_rng(self, rng, world_size: int, step: int) -> None:
        if rng is not None and world_size == self.acc.num_processes:
            restore_rng(rng)
            return
        log.warning(
            "checkpoint written by %d process(es), resumed on %d: RNG streams reseeded, so the run "
            "continues correctly but not bit-identically",
            world_size,
            self.acc.num_processes,
        )
        seed_everything(self.seed + 1000 * step + self.acc.process_index)
