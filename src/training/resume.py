"""Which checkpoint a run resumes from, and the refusals that keep a run directory's run intact.

DESIGN.md failure policy: nothing already written is destroyed by a later command. A run directory that
holds checkpoints (or an exported codec) is continued from its newest complete checkpoint or refused; a
corrupt newest checkpoint is named, moved aside and the previous complete one is used.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from src.codec import WEIGHTS_FILE
from src.training.checkpoint import (
    CorruptCheckpoint,
    checkpoint_root,
    is_complete,
    list_checkpoints,
    read_checkpoint,
    resolve_resume,
)

log = logging.getLogger(__name__)


class RunDirInUse(RuntimeError):
    """A command that would overwrite or prune a run already written in the run directory."""


def is_fresh(resume) -> bool:
    return resume is None or str(resume).lower() in ("none", "null", "false", "")


def check_run_dir(resume, run_dir: str | Path) -> None:
    """Refuse (RunDirInUse) a trainer.resume that would overwrite or prune the run already in run_dir: a
    fresh start over its checkpoints or its exported codec, or a resume from anything but its newest
    checkpoint (the new, lower-step checkpoints would be pruned and the newer ones replaced). Only reads:
    it runs before anything is written (also from the Hydra start-up callback, before .hydra/ is written)."""
    run_dir = Path(run_dir)
    found, exported = list_checkpoints(run_dir), run_dir / WEIGHTS_FILE
    if not found and not exported.is_file():
        return
    fix = (
        "Continue it with trainer.resume=auto, or give the new run a new directory (hydra.run.dir=<new dir>, "
        "with trainer.resume=<a checkpoints/step_* path> to branch from a checkpoint). Nothing was changed"
    )
    if not found:
        raise RunDirInUse(
            f"{run_dir} already holds an exported {WEIGHTS_FILE} and no checkpoint to continue from: "
            f"trainer.resume={resume} would start over and overwrite it. Give the new run a new "
            "directory (hydra.run.dir=<new dir>). Nothing was changed"
        )
    held = f"{len(found)} checkpoint(s), the newest {found[-1].name}"
    if is_fresh(resume):
        raise RunDirInUse(
            f"{run_dir} already holds a run ({held}): trainer.resume=none would start a new run "
            f"there, overwrite {WEIGHTS_FILE}, prune the old checkpoints and mix two runs in "
            f"metrics.jsonl. {fix}"
        )
    if str(resume) == "auto":
        return
    target = resolve_resume(resume, run_dir)
    if target.resolve() != found[-1].resolve():
        raise RunDirInUse(
            f"{run_dir} already holds a run ({held}): resuming there from {target} (not its newest "
            f"checkpoint) would replace or prune the newer ones. {fix}"
        )


def load_resume(resume, run_dir: str | Path, rank: int = 0) -> tuple[Path | None, dict | None]:
    """check_run_dir, then (the checkpoint to resume from, its read_checkpoint content), or (None, None).

    With trainer.resume=auto or a run directory, a corrupt checkpoint is logged with the bad file and the
    previous complete one is tried; a bad one inside this run dir is moved aside (corrupt-step_...) so that
    pruning and `auto` no longer see it. A checkpoint named explicitly is read as it is (no fallback).
    """
    check_run_dir(resume, run_dir)
    path = resolve_resume(resume, run_dir)
    if path is None:
        return None, None
    if is_complete(Path(str(resume))):
        return path, read_checkpoint(path, rank)
    root, errors = path.parent, []
    for ckpt in reversed(list_checkpoints(root.parent)):
        try:
            return ckpt, read_checkpoint(ckpt, rank)
        except CorruptCheckpoint as err:
            errors.append(str(err))
            aside = ckpt.with_name(f"corrupt-{ckpt.name}")
            if ckpt.parent.resolve() == checkpoint_root(run_dir).resolve() and not aside.exists():
                os.replace(ckpt, aside)
                log.warning("corrupt checkpoint %s (%s): moved aside to %s; trying the previous one", ckpt, err, aside)
            else:
                log.warning("corrupt checkpoint %s (%s): trying the previous one", ckpt, err)
    raise CorruptCheckpoint(
        f"no readable checkpoint in {root}: {'; '.join(errors)}. Start a new run directory, "
        "or resume from another run's checkpoint (trainer.resume=<checkpoints/step_* path>)"
    )
