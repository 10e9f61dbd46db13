"""Atomic, resumable checkpoints (failure policy in shared/DESIGN.md).

Layout: <run_dir>/checkpoints/step_00001234/ holding
  codec.safetensors, discriminators.safetensors, [codec_ema.safetensors]  weights (safetensors)
  optim.pt        optimizer / scheduler / grad-scaler / balancer states (tensors and plain data only)
  rng_rank<r>.pt  each process's torch / CUDA / numpy / python RNG states
  state.json      step, epoch, batch position, non-finite counters, world size
  complete.json   manifest, written last: {"step", "files": {name: {"size", "sha256"}}}
Everything is written into `.tmp-step_...` and renamed when complete, so a kill mid-write leaves the
previous checkpoint as the newest complete one. Loading uses safetensors and torch.load(weights_only=True):
nothing unpickles code. A checkpoint whose files do not match its manifest (a disk error, a truncated copy)
raises CorruptCheckpoint naming the file; src/training/resume.py then falls back to the previous complete one and
moves the bad one aside (checkpoints/corrupt-step_...), never deleting it. Manifests written before the
hashes (a plain list of names) are still read: their files are checked by loading them.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import re
import shutil
import time
from pathlib import Path

import numpy as np
import torch

MANIFEST = "complete.json"
STATE = "state.json"
OPTIM = "optim.pt"
_STEP_DIR = re.compile(r"^step_(\d+)$")
# Fault injection for tests: "<seconds>" or "<step>:<seconds>" sleeps after the weights are written and
# before the checkpoint is marked complete, so a test can SIGKILL the run mid-write.
WRITE_DELAY_ENV = "CODECLAB_CKPT_WRITE_DELAY"


class CorruptCheckpoint(RuntimeError):
    """A checkpoint file that is missing, truncated or does not match its manifest; the message names it."""


def checkpoint_root(run_dir: str | Path) -> Path:
    return Path(run_dir) / "checkpoints"


def step_of(path: Path) -> int:
    return int(_STEP_DIR.match(path.name).group(1))


def is_complete(path: Path) -> bool:
    return path.is_dir() and _STEP_DIR.match(path.name) is not None and (path / MANIFEST).is_file()


def list_checkpoints(run_dir: str | Path) -> list[Path]:
    """Complete checkpoints of a run, oldest first."""
    root = checkpoint_root(run_dir)
    found = [p for p in root.iterdir() if is_complete(p)] if root.is_dir() else []
    return sorted(found, key=step_of)


def resolve_resume(resume: str | None, run_dir: str | Path) -> Path | None:
    """trainer.resume: 'auto' -> newest complete checkpoint in run_dir (None when there is none);
    'none'/null -> None; otherwise a checkpoint directory (or a run directory, whose newest is taken)."""
    if resume is None or str(resume).lower() in ("none", "null", "false", ""):
        return None
    if str(resume) == "auto":
        found = list_checkpoints(run_dir)
        return found[-1] if found else None
    path = Path(str(resume))
    if is_complete(path):
        return path
    found = list_checkpoints(path) if path.is_dir() else []
    if found:
        return found[-1]
    raise FileNotFoundError(
        f"trainer.resume={resume}: not a complete checkpoint (a step_* directory holding {MANIFEST}) nor a "
        "run directory with one; use trainer.resume=auto, trainer.resume=none, or a checkpoints/step_* path"
    )


# ----------------------------------------------------------------------------- tensors and RNG
def save_tensors(state: dict[str, torch.Tensor], path: Path) -> None:
    from safetensors.torch import save_file

    # clone: safetensors refuses tensors that share storage (tied weights)
    save_file({k: v.detach().cpu().clone().contiguous() for k, v in state.items()}, str(path))


def load_tensors(path: Path, device: str | torch.device = "cpu") -> dict[str, torch.Tensor]:
    from safetensors.torch import load_file

    return load_file(str(path), device=str(device))


def capture_rng() -> dict:
    np_state = np.random.get_state()
    return {
        "torch": torch.get_rng_state(),
        "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
        "numpy": [np_state[0], torch.from_numpy(np_state[1].astype(np.int64)), *map(float, np_state[2:])],
        "python": random.getstate(),
    }


def restore_rng(state: dict) -> None:
    torch.set_rng_state(state["torch"])
    if state["cuda"] and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])
    name, keys, pos, has_gauss, cached = state["numpy"]
    np.random.set_state((name, keys.numpy().astype(np.uint32), int(pos), int(has_gauss), cached))
    random.setstate(state["python"])


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(str(path), os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _maybe_delay(step: int) -> None:
    spec = os.environ.get(WRITE_DELAY_ENV)
    if not spec:
        return
    at, _, seconds = spec.rpartition(":")
    if not at or int(at) == step:
        time.sleep(float(seconds))


# ----------------------------------------------------------------------------- writer / reader
class CheckpointWriter:
    """Collective save: every process calls `save` (each writes its RNG state); the main process writes
    the rest, marks it complete, renames it into place and prunes all but the newest `keep_last`."""

    def __init__(self, run_dir: str | Path, keep_last: int, accelerator) -> None:
        if keep_last < 1:
            raise ValueError(f"trainer.keep_last={keep_last} must be >= 1")
        self.root, self.keep_last, self.acc = checkpoint_root(run_dir), int(keep_last), accelerator

    def save(self, step: int, weights: dict[str, dict], objects: dict, state: dict) -> Path | None:
        """weights: file stem -> state_dict (safetensors); objects: optim.pt content; state: JSON data."""
        acc, final = self.acc, self.root / f"step_{step:08d}"
        tmp = self.root / f".tmp-{final.name}"
        if acc.is_main_process:
            shutil.rmtree(tmp, ignore_errors=True)
            tmp.mkdir(parents=True)
        acc.wait_for_everyone()
        torch.save(capture_rng(), tmp / f"rng_rank{acc.process_index}.pt")
        if acc.is_main_process:
            for stem, tensors in weights.items():
                save_tensors(tensors, tmp / f"{stem}.safetensors")
            torch.save(objects, tmp / OPTIM)
            (tmp / STATE).write_text(json.dumps(state, indent=1))
            _maybe_delay(step)
        acc.wait_for_everyone()
        if acc.is_main_process:
            files = {p.name: {"size": p.stat().st_size, "sha256": sha256_of(p)} for p in sorted(tmp.iterdir())}
            with open(tmp / MANIFEST, "w") as fh:
                json.dump({"step": step, "files": files}, fh, indent=1)
                fh.flush()
                os.fsync(fh.fileno())
            shutil.rmtree(final, ignore_errors=True)  # a re-run of the same step replaces it
            os.replace(tmp, final)
            _fsync_dir(self.root)
            self._prune()
        acc.wait_for_everyone()
        return final

    def _prune(self) -> None:
        for old in list_checkpoints(self.root.parent)[: -self.keep_last]:
            shutil.rmtree(old, ignore_errors=True)
        for stale in self.root.glob(".tmp-step_*"):  # left by a killed write
            shutil.rmtree(stale, ignore_errors=True)


def sha256_of(path: Path, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(chunk), b""):
            h.update(block)
    return h.hexdigest()


def verify_checkpoint(path: Path) -> None:
    """Check every file against the manifest (size, then SHA-256) -> CorruptCheckpoint naming the first bad
    one. An old manifest (a list of names, no hashes) is checked for presence only."""
    try:
        files = json.loads((path / MANIFEST).read_text())["files"]
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise CorruptCheckpoint(f"{path / MANIFEST}: unreadable manifest ({type(err).__name__}: {err})") from err
    entries = files.items() if isinstance(files, dict) else ((name, None) for name in files)
    for name, entry in entries:
        file = path / name
        if not file.is_file():
            raise CorruptCheckpoint(f"{file}: listed in {MANIFEST} but missing")
        if entry is None:
            continue
        size = file.stat().st_size
        if size != entry["size"]:
            raise CorruptCheckpoint(f"{file}: {size} bytes, {MANIFEST} says {entry['size']} (truncated or corrupt)")
        if sha256_of(file) != entry["sha256"]:
            raise CorruptCheckpoint(f"{file}: SHA-256 differs from {MANIFEST} (corrupt)")


def _read(file: Path, loader):
    """loader(file), with any failure (truncated safetensors, bad zip, refused pickle) naming the file."""
    try:
        return loader(file)
    except Exception as err:  # SafetensorError, OSError, RuntimeError, UnpicklingError, ...
        raise CorruptCheckpoint(f"{file}: cannot be read ({type(err).__name__}: {err})") from err


def read_checkpoint(path: Path, rank: int) -> dict:
    """-> {"weights": {stem: state_dict}, "objects": optim.pt content, "state": dict, "rng": dict | None}.

    Raises CorruptCheckpoint naming the file that is missing, does not match the manifest or cannot be read."""
    if not is_complete(path):
        raise FileNotFoundError(f"{path} is not a complete checkpoint (no {MANIFEST})")
    verify_checkpoint(path)
    weights = {p.name[: -len(".safetensors")]: _read(p, load_tensors) for p in path.glob("*.safetensors")}
    rng_file = path / f"rng_rank{rank}.pt"
    return {
        "weights": weights,
        "objects": _read(path / OPTIM, lambda f: torch.load(f, map_location="cpu", weights_only=True)),
        "state": _read(path / STATE, lambda f: json.loads(f.read_text())),
        "rng": _read(rng_file, lambda f: torch.load(f, weights_only=True)) if rng_file.exists() else None,
    }
