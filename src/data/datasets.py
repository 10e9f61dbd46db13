"""Audio data modules: file lists checked against a cached header index, split into crop/eval datasets.

`AudioData` is what Hydra builds from `cfg.data`; `split(name)` gives a torch Dataset whose items
are `{"wav": (C, T) float32, "item": str, "speaker": str, "skipped": [...]}` and `collate` batches
them. Headers come from `src.data.index` (scanned once per changed file); the content of a training
file is checked when its crop is read (`src.data.crops`), of an eval file once, cached in the index.
"""

from __future__ import annotations

import logging
import os
from collections import Counter
from pathlib import Path

import torch
from torch.utils.data import Dataset

from src.data.audio import AudioError, AudioInfo, TooShortAudio, check_mappable
from src.data.crops import CropDataset, UtteranceDataset, crop_seed  # noqa: F401 (re-exported)
from src.data.index import AudioIndex
from src.data.sources import SPLITS, Entry, find_audio_paths, hash_split, read_manifest, speaker_of

log = logging.getLogger("codeclab.data")

_LOGGED: set[str] = set()  # paths already named in the log: each bad file is named once


class EmptyDatasetError(RuntimeError):
    """No usable file is left in a split after the checks."""


def scan(
    entries: list[Entry],
    headers: dict[str, AudioInfo | AudioError],
    channels: int,
    min_seconds: float = 0.0,
) -> tuple[list[tuple[Entry, AudioInfo]], dict[str, AudioError]]:
    """Check every entry's header; returns (kept (entry, info) pairs, {path: error} for the skipped)."""
    kept, skipped, mappable = [], {}, {}
    for entry in entries:
        try:
            info = headers[entry.path]
            if isinstance(info, AudioError):
                raise info
            if info.channels not in mappable:  # one check per channel count, not per file
                mappable[info.channels] = _mappable(info.channels, channels)
            if mappable[info.channels] is not None:
                check_mappable(info.channels, channels, entry.path)
            if info.duration < min_seconds:
                raise TooShortAudio(entry.path, f"too short for a {min_seconds:g} s crop ({info.duration:.2f} s)")
            kept.append((entry, info))
        except AudioError as err:
            skipped[entry.path] = err
    return kept, skipped


def loader_workers(value: int | str) -> int:
    """data.num_workers: an int, or "auto" = 0 without a GPU (one process: cheapest on a CPU) and with
    GPUs the CPUs per GPU minus one (the training process), at most 8 (bench data: a worker reads
    30-200 crops/s, enough for most steps)."""
    if value != "auto":
        if int(value) < 0:
            raise ValueError(f"data.num_workers={value}: must be >= 0 or auto")
        return int(value)
    if not torch.cuda.is_available():
        return 0
    per_gpu = (os.cpu_count() or 1) // max(torch.cuda.device_count(), 1)
    return max(1, min(8, per_gpu - 1))


def _mappable(c_in: int, channels: int) -> AudioError | None:
    try:
        check_mappable(c_in, channels, "")
    except AudioError as err:
        return err
    return None


def collate(items: list[dict]) -> dict:
    """items -> {"wav": (B, C, T_max) zero-padded, "lengths": (B,) int64, "item": [..], "speaker": [..],
    "skipped": [(path, kind, reason)] of the files replaced while reading these items}."""
    if not items:
        raise ValueError("collate: empty batch")
    lengths = torch.tensor([it["wav"].shape[-1] for it in items], dtype=torch.long)
    wav = items[0]["wav"].new_zeros(len(items), items[0]["wav"].shape[0], int(lengths.max()))
    for b, it in enumerate(items):
        wav[b, :, : it["wav"].shape[-1]] = it["wav"]
    out = {
        "wav": wav,
        "lengths": lengths,
        "item": [it["item"] for it in items],
        "speaker": [it["speaker"] for it in items],
        "skipped": [s for it in items for s in it.get("skipped", ())],
    }
    if all("source" in it for it in items):  # data=mix: which source each item came from
        out["source"] = [it["source"] for it in items]
    return out


class AudioData:
    """The object built from `cfg.data`: sizes for the trainer plus `split(name)` datasets.

    Subclasses say where each split's files come from (`entries(name)`); this class checks them,
    logs each skipped file once with its reason and fails clearly when nothing usable is left."""

    collate = staticmethod(collate)

    def __init__(
        self,
        sample_rate: int,
        channels: int,
        segment_seconds: float = 1.0,
        batch_size: int = 16,
        num_workers: int | str = 0,
        seed: int = 0,
        eval_max_seconds: float | None = None,
        index_dir: str | None = None,
        index_workers: int = 0,
        segment_frames: int | None = None,
        hop_length: int | None = None,
    ) -> None:
        self.sample_rate, self.channels = int(sample_rate), int(channels)
        self.segment_frames, self.hop_length = segment_frames, hop_length
        if segment_frames is not None:  # a fixed number of tokens per crop, whatever the frame rate
            if int(segment_frames) <= 0 or not hop_length or int(hop_length) <= 0:
                raise ValueError(
                    f"data.segment_frames={segment_frames} needs a positive integer and "
                    f"data.hop_length={hop_length} the encoder hop in samples (> 0)"
                )
            segment_seconds = int(segment_frames) * int(hop_length) / self.sample_rate
        if segment_seconds <= 0:
            raise ValueError(f"data.segment_seconds={segment_seconds}: must be > 0")
        self.segment_seconds, self.batch_size = float(segment_seconds), int(batch_size)
        self.num_workers = loader_workers(num_workers)
        self.seed, self.eval_max_seconds = int(seed), eval_max_seconds
        self.index_dir, self.index_workers = index_dir, int(index_workers)
        self.skipped: dict[str, str] = {}  # path -> reason, for every file skipped (at start or read)
        self.replaced: Counter = Counter()  # training items filled from another file, by kind of fault
        self._splits: dict[str, Dataset] = {}

    def entries(self, name: str) -> list[Entry]:  # pragma: no cover - abstract
        raise NotImplementedError

    def index_anchor(self, name: str) -> Path:  # pragma: no cover - abstract
        """The folder or manifest file whose header index (src.data.index) holds split `name`."""
        raise NotImplementedError

    def index_paths(self, name: str, entries: list[Entry]) -> list[str]:
        """Every path that index covers (default: this split's); files it held and that are not
        listed here are dropped from it."""
        return [e.path for e in entries]

    def describe(self, name: str) -> str:
        """Where split `name` comes from, for error messages."""
        return type(self).__name__

    def why_empty(self, name: str) -> str:
        """Why split `name` listed no file at all, and what to do (the error of an empty split)."""
        return "no audio files found; point the data config at audio soundfile can read"

    def split(self, name: str) -> Dataset:
        """ "train" -> CropDataset; "valid"/"test" -> UtteranceDataset. Built once, then cached."""
        if name not in SPLITS:
            raise KeyError(f"unknown data split {name!r}: choose one of {', '.join(SPLITS)}")
        if name not in self._splits:
            self._splits[name] = self._build(name)
        return self._splits[name]

    @property
    def segment(self) -> int:
        """The training crop in samples at the model rate (segment_frames x hop_length when set)."""
        if self.segment_frames is not None:
            return int(self.segment_frames) * int(self.hop_length)
        return round(self.segment_seconds * self.sample_rate)

    def headers(self, name: str, entries: list[Entry]) -> dict[str, AudioInfo | AudioError]:
        """Each entry's header from the cached index; eval files are decoded in full once (cached),
        training files are checked when read (a bad one is replaced, see src.data.crops)."""
        index = AudioIndex(self.index_anchor(name), self.index_dir, self.index_workers)
        full = set() if name == "train" else {e.path for e in entries}
        result = index.update(self.index_paths(name, entries), full)
        log.info(
            "%s split: index %s (%d files, %d scanned, %.2f s)",
            name,
            index.file,
            len(result),
            index.stats["scanned"],
            index.stats["seconds"],
        )
        return result

    def _build(self, name: str) -> Dataset:
        entries = self.entries(name)
        min_seconds = self.segment / self.sample_rate if name == "train" else 0.0
        kept, skipped = scan(entries, self.headers(name, entries), self.channels, min_seconds)
        self._report(name, len(entries), kept, skipped)
        if name == "train":
            return CropDataset(kept, self.sample_rate, self.channels, self.segment, self.seed)
        return UtteranceDataset(kept, self.sample_rate, self.channels, self.eval_max_seconds)

    def watch(self, batches):
        """Yield `batches` (a training DataLoader), naming once each file replaced while its items
        were read -- in DataLoader workers, so only their batches carry the news to this process."""
        for batch in batches:
            for path, kind, reason in batch.get("skipped", ()):
                self.replaced[kind] += 1
                self._name(path, reason)
            yield batch

    def _name(self, path: str, reason: str) -> None:
        self.skipped.setdefault(path, reason)
        if path not in _LOGGED:
            _LOGGED.add(path)
            log.warning("skipping %s: %s", path, reason)

    def _report(self, name: str, found: int, kept: list, skipped: dict[str, AudioError]) -> None:
        for path, err in skipped.items():
            self._name(path, err.reason)
        counts = ", ".join(f"{k}: {n}" for k, n in sorted(Counter(e.kind for e in skipped.values()).items()))
        if not kept:
            why = (
                f"all {found} files were skipped ({counts}); point the data config at audio soundfile can read"
                if found
                else self.why_empty(name)
            )
            raise EmptyDatasetError(f"data split {name!r} from {self.describe(name)} is empty: {why}")
        log.info(
            "%s split: %d files kept, %d skipped%s", name, len(kept), len(skipped), f" ({counts})" if skipped else ""
        )


class FolderData(AudioData):
    """Every audio file under `root`. Splits: `root/{train,valid,test}/` when `root/train` exists,
    otherwise a stable hash split of the relative paths (valid_fraction, test_fraction)."""

    def __init__(
        self,
        root: str,
        valid_fraction: float = 0.05,
        test_fraction: float = 0.05,
        speaker_level: int | None = 0,
        **kwargs,
    ) -> None:
        super().__init__(**kwargs)
        if root in (None, "", "???"):
            raise ValueError("data.root is not set: pass data.root=/path/to/audio (folder.yaml)")
        self.root = Path(root).expanduser().resolve()
        if not self.root.is_dir():
            raise FileNotFoundError(f"data.root={root}: folder not found")
        if not 0 <= valid_fraction + test_fraction < 1:
            raise ValueError("data.valid_fraction + data.test_fraction must lie in [0, 1)")
        self.valid_fraction, self.test_fraction = float(valid_fraction), float(test_fraction)
        self.speaker_level = speaker_level
        self.by_folder = (self.root / "train").is_dir()
        self._files: list[str] | None = None

    def describe(self, name: str) -> str:
        return f"data.root={self.root / name if self.by_folder else self.root}"

    def why_empty(self, name: str) -> str:
        if self.by_folder:
            return f"no audio files in {self.root / name}"
        total = len(self.files())
        if not total:
            return f"no audio files found under {self.root}"
        fraction = {"valid": self.valid_fraction, "test": self.test_fraction}.get(name)
        fix = (
            f"raise data.{name}_fraction (now {fraction:g})"
            if fraction is not None
            else "lower data.valid_fraction + data.test_fraction"
        )
        return (
            f"the hash split gave none of the {total} audio files under {self.root} to {name!r}: {fix}, or "
            f"split the files yourself into {self.root}/train/, valid/ and test/ folders"
        )

    def entries(self, name: str) -> list[Entry]:
        base = self.root / name if self.by_folder else self.root
        if self.by_folder and not base.is_dir():
            raise FileNotFoundError(
                f"{self.root} has train/ but no {name}/ folder: add one, or remove the sub-folders to use a hash split"
            )
        prefix, top = str(base) + os.sep, len(str(self.root)) + 1
        out = []
        for path in self.files():  # strings, not Paths: this loop runs once per file at every start
            if not path.startswith(prefix):
                continue
            rel = path[len(prefix) :].replace(os.sep, "/")
            if self.by_folder or hash_split(rel, self.valid_fraction, self.test_fraction) == name:
                out.append(Entry(path, path[top:].replace(os.sep, "/"), speaker_of(rel, self.speaker_level)))
        return out

    def files(self) -> list[str]:
        """Every audio file under root, listed once per object (the index covers them all, so the
        three splits share one index file)."""
        if self._files is None:
            self._files = find_audio_paths(self.root)
        return self._files

    def index_anchor(self, name: str) -> Path:
        return self.root

    def index_paths(self, name: str, entries: list[Entry]) -> list[str]:
        return self.files()


class ManifestData(AudioData):
    """Files listed in one manifest per split (CSV or JSONL; `path`, optional `speaker`)."""

    def __init__(self, train: str, valid: str | None = None, test: str | None = None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.manifests = {"train": train, "valid": valid, "test": test}
        if train in (None, "", "???"):
            raise ValueError("data.train is not set: pass data.train=/path/to/train.jsonl (manifest.yaml)")

    def describe(self, name: str) -> str:
        return f"data.{name}={self.manifests[name]}"

    def entries(self, name: str) -> list[Entry]:
        if not self.manifests[name]:
            raise ValueError(f"data.{name} is not set: give a manifest for the {name} split")
        return read_manifest(self.manifests[name])

    def index_anchor(self, name: str) -> Path:
        return Path(self.manifests[name])
