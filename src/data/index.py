"""A cached index of audio headers (as audiocraft's JSONL manifests): built once, rescanned per changed file.

`python -m src.data.index <folder or manifest>` builds it ahead of time. One JSONL file per folder or
manifest, beside it (`<root>/.codeclab_index.jsonl`, `<dir>/.<manifest>.codeclab_index.jsonl`) so it
travels with the data and every node of a cluster shares it; when that place is not writable, under
`$CODECLAB_DATA/index/` (else `<repo>/data_cache/index/`). Each line holds one file's path (relative
to the index's base folder), the (size, mtime_ns) key it was scanned with, and its header (frames,
sample rate, channels) or the error that made it unusable. A file whose key changed, or that is new,
is rescanned; a removed one is dropped; nothing else is read. Writers take a file lock and replace the
file atomically, so concurrent builders (every rank of a run) give one index scanned once.
"""

from __future__ import annotations

import argparse
import fcntl
import hashlib
import json
import logging
import multiprocessing as mp
import os
import sys
import time
from pathlib import Path
from typing import NamedTuple

from src.data.audio import AudioError, AudioInfo, audio_info, read_native

log = logging.getLogger("codeclab.data")

VERSION = 1  # bump when the record layout changes: old indexes are rebuilt
SUFFIX = ".codeclab_index.jsonl"
PARALLEL_MIN = 1000  # fewer stale files than this are scanned in-process: a pool costs more to start
DECODE_COST = 100  # a whole-file decode costs about this many header reads (10 s FLAC)
CHUNK = 256  # files per worker task: small enough for a smooth progress bar, large enough to amortise
REPO_ROOT = Path(__file__).resolve().parents[2]


class Record(NamedTuple):  # a NamedTuple: 100k of them are made at every start
    """One file's scan: its key (size, mtime_ns), header, or (error kind, reason); `full` marks a scan
    that decoded the whole file (NaN/Inf, truncation) rather than reading the header alone."""

    size: int
    mtime_ns: int
    frames: int = 0
    sample_rate: int = 0
    channels: int = 0
    error: tuple[str, str] | None = None
    full: bool = False

    def result(self, path: str) -> AudioInfo | AudioError:
        if self.error is None:
            return AudioInfo(self.sample_rate, self.channels, self.frames)
        return error_of(self.error[0])(path, self.error[1])


def error_of(kind: str) -> type[AudioError]:
    """The AudioError subclass whose `kind` is `kind` (AudioError itself for an unknown one)."""
    todo, found = [AudioError], {}
    while todo:
        cls = todo.pop()
        found.setdefault(cls.kind, cls)
        todo += cls.__subclasses__()
    return found.get(kind, AudioError)


def scan_one(path: str, full: bool = False) -> Record | None:
    """Stat then read `path`'s header (and with `full`, decode it all); None when it does not exist."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    try:
        info = audio_info(path)
        frames = read_native(path)[0].shape[-1] if full else info.frames  # the header may lie (truncation)
        return Record(st.st_size, st.st_mtime_ns, frames, info.sample_rate, info.channels, full=full)
    except AudioError as err:
        return Record(st.st_size, st.st_mtime_ns, error=(err.kind, err.reason), full=full)


def _scan_chunk(job: tuple[list[str], bool]) -> list[tuple[str, Record | None]]:
    paths, full = job
    return [(p, scan_one(p, full)) for p in paths]


def default_cache_dir() -> Path:
    base = os.environ.get("CODECLAB_DATA")
    return (Path(base).expanduser() if base else REPO_ROOT / "data_cache") / "index"


def index_path(anchor: str | Path, cache_dir: str | Path | None = None) -> tuple[Path, Path]:
    """-> (index file, base folder its paths are relative to) for a data folder or a manifest file.

    Beside the data when that folder is writable and cache_dir is None, else in cache_dir (default
    $CODECLAB_DATA/index) under a name hashed from the anchor's absolute path."""
    anchor = Path(anchor).expanduser().resolve()
    base = anchor if anchor.is_dir() else anchor.parent
    name = SUFFIX if anchor.is_dir() else f".{anchor.name}{SUFFIX}"
    if cache_dir is None and os.access(base, os.W_OK):
        return base / name, base
    digest = hashlib.blake2b(str(anchor).encode(), digest_size=8).hexdigest()
    folder = Path(cache_dir).expanduser() if cache_dir else default_cache_dir()
    return folder / f"{anchor.name}-{digest}{SUFFIX}", base


class AudioIndex:
    """The index of one folder or manifest. `update(paths)` -> {path: AudioInfo | AudioError}."""

    def __init__(
        self, anchor: str | Path, cache_dir: str | Path | None = None, workers: int = 0, progress: bool = False
    ) -> None:
        self.anchor = Path(anchor).expanduser().resolve()
        self.file, self.base = index_path(anchor, cache_dir)
        self.workers = int(workers) or min(8, os.cpu_count() or 1)
        self.progress = progress
        self.stats: dict[str, float] = {}
        self.scanned: list[str] = []  # the paths the last update() scanned (the others came from the index)

    # ------------------------------------------------------------------ reading and writing
    def load(self) -> dict[str, Record]:
        """The records on disk keyed by absolute path ({} when absent, stale or unreadable)."""
        try:
            base = str(self.base) + os.sep
            with open(self.file, encoding="utf-8") as f:
                head = json.loads(f.readline() or "{}")
                if head.get("codeclab_index") != VERSION:
                    return {}
                rows = json.loads("[" + ",".join(f.read().splitlines()) + "]")  # one call: 5x faster
            out = {}
            for row in rows:
                path = base + row["path"]
                if ".." in row["path"]:  # a manifest entry outside the manifest's folder
                    path = os.path.normpath(path)
                err = row.get("error")
                out[path] = Record(
                    row["size"],
                    row["mtime_ns"],
                    row.get("frames", 0),
                    row.get("sample_rate", 0),
                    row.get("channels", 0),
                    tuple(err) if err else None,
                    "full" in row,
                )
            return out
        except (OSError, ValueError, KeyError, TypeError) as err:
            if self.file.exists():
                log.warning("index %s is unreadable (%s): rebuilding it", self.file, err)
            return {}

    def _write(self, records: dict[str, Record]) -> None:
        """Temp file in the same folder, fsync, rename: a reader sees the old index or the new one."""
        self.file.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.file.with_name(f"{self.file.name}.tmp-{os.getpid()}")
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(json.dumps({"codeclab_index": VERSION, "base": str(self.base)}) + "\n")
            for path in sorted(records):
                r = records[path]
                row = {"path": os.path.relpath(path, self.base), "size": r.size, "mtime_ns": r.mtime_ns}
                row.update(
                    {"error": list(r.error)}
                    if r.error
                    else {"frames": r.frames, "sample_rate": r.sample_rate, "channels": r.channels}
                )
                if r.full:
                    row["full"] = True
                f.write(json.dumps(row) + "\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.file)

    # ------------------------------------------------------------------ updating
    def update(self, paths: list[str], full: frozenset[str] | set[str] = frozenset()) -> dict:
        """Bring the index up to date for exactly `paths` (files no longer listed are dropped) and
        -> {path: AudioInfo | AudioError}. Paths in `full` need a whole-file decode once."""
        t0 = time.perf_counter()
        keys = _stat_keys(paths)
        cached = self.load()
        removed = sum(keys.get(p) is None for p in cached)  # gone from the listing, or from the disk
        self.scanned = []
        if removed or _stale(keys, cached, full):
            with self._lock() as lock:
                fcntl.flock(lock, fcntl.LOCK_EX)  # another process may be scanning the same files
                cached = self.load()  # it may have finished while we waited: rescan only what is left
                fresh = self._scan(_stale(keys, cached, full), full)
                self.scanned = sorted(fresh)
                kept = {p: cached[p] for p, key in keys.items() if key and p in cached and p not in fresh}
                records = {**kept, **{p: r for p, r in fresh.items() if r is not None}}
                if fresh or set(cached) - set(records):
                    self._write(records)
                cached = records
        self.stats = {
            "files": len(paths),
            "scanned": len(self.scanned),
            "removed": removed,
            "seconds": time.perf_counter() - t0,
        }
        out = {}
        for p in paths:
            rec = cached.get(p) if keys[p] is not None else None
            out[p] = rec.result(p) if rec is not None else error_of("missing")(p, "file not found")
        return out

    def _lock(self):
        """The lock file beside the index; when that folder refuses writes (a read-only mount seen
        as writable), the index moves to the cache folder."""
        try:
            self.file.parent.mkdir(parents=True, exist_ok=True)
            return open(self.file.with_name(self.file.name + ".lock"), "w")
        except OSError as err:
            if self.file.parent != self.base:
                raise
            self.file = index_path(self.anchor, default_cache_dir())[0]
            log.info("cannot write beside the data (%s): index moved to %s", err, self.file)
            return self._lock()

    def _scan(self, paths: list[str], full: frozenset[str] | set[str]) -> dict[str, Record | None]:
        plain, whole = [p for p in paths if p not in full], [p for p in paths if p in full]
        jobs = [
            (group[i : i + CHUNK], flag)
            for group, flag in ((plain, False), (whole, True))
            for i in range(0, len(group), CHUNK)
        ]
        cost = len(plain) + DECODE_COST * len(whole)
        bar = _bar(len(paths), f"indexing {self.file.name}") if self.progress else None
        out: dict[str, Record | None] = {}
        if self.workers > 1 and cost >= PARALLEL_MIN:
            with _pool(self.workers) as pool:
                for rows in pool.imap_unordered(_scan_chunk, jobs):
                    out.update(rows)
                    bar and bar.update(len(rows))
        else:
            for job in jobs:
                rows = _scan_chunk(job)
                out.update(rows)
                bar and bar.update(len(rows))
        bar and bar.close()
        return out


def _stat_keys(paths: list[str]) -> dict[str, tuple[int, int] | None]:
    """{path: (size, mtime_ns)}, None for a missing file (one tight loop: this runs per file per start)."""
    keys, stat = {}, os.stat
    for p in paths:
        try:
            st = stat(p)
            keys[p] = (st.st_size, st.st_mtime_ns)
        except OSError:
            keys[p] = None
    return keys


def _stale(keys: dict, cached: dict[str, Record], full) -> list[str]:
    out = []
    for p, key in keys.items():
        rec = cached.get(p)
        if key is None:
            continue  # missing: nothing to scan, reported as missing
        if rec is None or (rec.size, rec.mtime_ns) != key or (p in full and not rec.full):
            out.append(p)
    return out


def _pool(workers: int):
    # fork: workers start in milliseconds and only call libsndfile (no torch, no threads of ours)
    method = "fork" if "fork" in mp.get_all_start_methods() else "spawn"
    return mp.get_context(method).Pool(workers)


def _bar(total: int, desc: str):
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit="file", file=sys.stderr)


def main(argv: list[str] | None = None) -> None:
    from src.data.sources import find_audio_paths, read_manifest

    parser = argparse.ArgumentParser(
        prog="python -m src.data.index", description="Build or refresh the header index of a folder or manifest."
    )
    parser.add_argument("source", help="a folder of audio files, or a CSV/JSONL manifest")
    parser.add_argument("--workers", type=int, default=0, help="scan processes (0: min(8, CPUs))")
    parser.add_argument("--cache-dir", default=None, help="write the index here instead of beside the data")
    parser.add_argument("--full", action="store_true", help="decode every file too (NaN/Inf, truncation)")
    args = parser.parse_args(argv)
    src = Path(args.source).expanduser().resolve()
    paths = find_audio_paths(src) if src.is_dir() else [e.path for e in read_manifest(src)]
    index = AudioIndex(src, args.cache_dir, args.workers, progress=True)
    results = index.update(paths, set(paths) if args.full else frozenset())
    bad = {p: r for p, r in results.items() if isinstance(r, AudioError)}
    hours = sum(r.duration for r in results.values() if isinstance(r, AudioInfo)) / 3600
    print(
        f"{index.file}: {len(paths)} files ({hours:.2f} h), {len(index.scanned)} scanned, "
        f"{len(bad)} unusable, {index.stats['seconds']:.2f} s"
    )
    for path, err in sorted(bad.items())[:20]:
        print(f"  {path}: {err.reason}")


if __name__ == "__main__":
    main()
