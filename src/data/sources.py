"""Where file lists come from: recursive folder discovery, a stable hash split, CSV/JSONL manifests."""

from __future__ import annotations

import csv
import hashlib
import json
import os
from pathlib import Path
from typing import NamedTuple

from src.data.audio import AUDIO_EXTENSIONS

SPLITS = ("train", "valid", "test")


class Entry(NamedTuple):  # a NamedTuple, not a dataclass: made once per file at every start
    """One candidate file: absolute `path`, `item` (path relative to the data root), `speaker`."""

    path: str
    item: str
    speaker: str = ""


def find_audio(root: Path, extensions: frozenset[str] = AUDIO_EXTENSIONS) -> list[Path]:
    """All files under `root` (recursive, following links) whose extension soundfile reads; sorted
    so that every run and every rank sees the same order."""
    return [Path(p) for p in find_audio_paths(root, extensions)]


def find_audio_paths(root: str | Path, extensions: frozenset[str] = AUDIO_EXTENSIONS) -> list[str]:
    """`find_audio` as path strings: 100k files are listed in a fraction of the time Path objects take."""
    found = []
    for folder, dirs, files in os.walk(root, followlinks=True):
        dirs[:] = [d for d in dirs if not d.startswith(".")]  # skip .cache, .git, half-written tmp dirs
        prefix = folder + os.sep
        found += [prefix + f for f in files if os.path.splitext(f)[1].lower() in extensions]
    return sorted(found, key=lambda p: p.split(os.sep))  # the order of sorted Paths (by parts)


def speaker_of(rel: Path | str, level: int | None) -> str:
    """The `level`-th folder of a path relative to its split root (VCTK p225/x.wav -> 'p225';
    LibriTTS 19/198/x.wav -> '19'); '' when disabled or the file sits above that level."""
    parts = rel.parts if isinstance(rel, Path) else rel.split("/")
    if level is None or len(parts) <= level + 1:
        return ""
    return parts[level]


def hash_split(rel: str, valid_fraction: float, test_fraction: float) -> str:
    """Stable split of a relative path: the same file lands in the same split on every machine and
    stays there when other files are added (unlike a shuffled index split)."""
    digest = hashlib.blake2b(rel.encode("utf-8"), digest_size=8).digest()
    u = int.from_bytes(digest, "big") / 2**64
    if u < test_fraction:
        return "test"
    if u < test_fraction + valid_fraction:
        return "valid"
    return "train"


def read_manifest(manifest: str | Path) -> list[Entry]:
    """A CSV (header row) or JSONL manifest with a `path` column and optional `speaker`.

    Relative paths resolve against the manifest's folder; `item` is the path as written there."""
    manifest = Path(manifest)
    if not manifest.is_file():
        raise FileNotFoundError(
            f"manifest {manifest} not found: set data.train/valid/test to a CSV or JSONL file with a `path` column"
        )
    rows = _read_jsonl(manifest) if manifest.suffix.lower() in {".jsonl", ".json"} else _read_csv(manifest)
    entries = []
    for line, row in rows:
        if not row.get("path"):
            raise ValueError(f"{manifest}:{line}: row has no `path` ({row}); every row needs one")
        rel = str(row["path"]).strip()
        path = Path(rel) if Path(rel).is_absolute() else manifest.parent / rel
        entries.append(Entry(str(path.resolve()), rel, str(row.get("speaker") or "")))
    return entries


def _read_csv(manifest: Path) -> list[tuple[int, dict]]:
    with open(manifest, newline="", encoding="utf-8") as f:
        dialect = "excel-tab" if manifest.suffix.lower() == ".tsv" else "excel"
        reader = csv.DictReader(f, dialect=dialect)
        if reader.fieldnames is None or "path" not in [c.strip() for c in reader.fieldnames]:
            raise ValueError(
                f"{manifest}: header {reader.fieldnames} has no `path` column; the "
                "first row must name the columns, e.g. `path,speaker`"
            )
        return [(i + 2, {k.strip(): v for k, v in row.items() if k}) for i, row in enumerate(reader)]


def _read_jsonl(manifest: Path) -> list[tuple[int, dict]]:
    rows = []
    with open(manifest, encoding="utf-8") as f:
        for i, text in enumerate(f, 1):
            if not text.strip():
                continue
            try:
                row = json.loads(text)
            except json.JSONDecodeError as err:
                raise ValueError(f"{manifest}:{i}: not valid JSON ({err.msg})") from err
            if not isinstance(row, dict):
                raise TypeError(f"{manifest}:{i}: expected an object with `path`, got {row!r}")
            rows.append((i, row))
    return rows
