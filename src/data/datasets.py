"""Audio datasets: checked file lists, seeded random crops for training, whole utterances for eval.

`AudioData` is what Hydra builds from `cfg.data`; `split(name)` gives a torch Dataset whose items
are `{"wav": (C, T) float32, "item": str, "speaker": str}` and `collate` batches them.
"""
from __future__ import annotations

import hashlib
import logging
import math
import os
from collections import Counter
from pathlib import Path

import torch
from torch.utils.data import Dataset

from src.data.audio import (
    AudioError,
    AudioInfo,
    TooShortAudio,
    audio_info,
    check_mappable,
    read_audio,
)
from src.data.sources import SPLITS, Entry, find_audio, hash_split, read_manifest, speaker_of

log = logging.getLogger("codeclab.data")

_SCAN_CACHE: dict[tuple, AudioInfo | AudioError] = {}  # (path, size, mtime) -> result, per process
_LOGGED: set[str] = set()  # paths already named in the log: each bad file is named once
CROP_MARGIN_SECONDS = 0.01  # context read around a crop so soxr's filter edges fall outside it


class EmptyDatasetError(RuntimeError):
    """No usable file is left in a split after the checks."""


def scan_file(path: str) -> AudioInfo:
    """sf.info plus one full read (catches NaN/Inf and truncated files); cached per process."""
    try:
        st = os.stat(path)
        key = (path, st.st_size, st.st_mtime_ns)
    except OSError:
        key = (path, None, None)
    if key not in _SCAN_CACHE:
        try:
            info = audio_info(path)
            frames = read_audio(path).shape[-1]  # the header may lie (truncated file, VBR mp3)
            _SCAN_CACHE[key] = AudioInfo(info.sample_rate, info.channels, frames)
        except AudioError as err:
            _SCAN_CACHE[key] = err
    result = _SCAN_CACHE[key]
    if isinstance(result, AudioError):
        raise result
    return result


def scan(
    entries: list[Entry], channels: int, min_seconds: float = 0.0
) -> tuple[list[tuple[Entry, AudioInfo]], dict[str, AudioError]]:
    """Check every entry once; returns (kept (entry, info) pairs, {path: error} for the skipped)."""
    kept, skipped = [], {}
    for entry in entries:
        try:
            info = scan_file(entry.path)
            check_mappable(info.channels, channels, entry.path)
            if info.duration < min_seconds:
                raise TooShortAudio(
                    entry.path, f"too short for a {min_seconds:g} s crop ({info.duration:.2f} s)"
                )
            kept.append((entry, info))
        except AudioError as err:
            skipped[entry.path] = err
    return kept, skipped


def crop_seed(seed: int, epoch: int, index: int) -> int:
    """A well-mixed 63-bit seed from (seed, epoch, index): nearby triples give unrelated crops."""
    digest = hashlib.blake2b(f"{seed}:{epoch}:{index}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") >> 1


class UtteranceDataset(Dataset):
    """Whole files (valid/test), converted to the model rate and channel count.

    max_seconds: keep only the first max_seconds of each file (None = whole file)."""

    def __init__(self, records, sample_rate: int, channels: int, max_seconds: float | None = None):
        self.records, self.sample_rate, self.channels = list(records), int(sample_rate), int(channels)
        self.max_seconds = max_seconds

    def __len__(self) -> int:
        return len(self.records)

    def __getitem__(self, index: int) -> dict:
        entry, info = self.records[index]
        frames = -1 if self.max_seconds is None else math.ceil(self.max_seconds * info.sample_rate)
        wav = read_audio(entry.path, self.sample_rate, self.channels, frames=frames)
        if self.max_seconds is not None:
            wav = wav[:, : round(self.max_seconds * self.sample_rate)]
        return {"wav": wav, "item": entry.item, "speaker": entry.speaker}


class CropDataset(UtteranceDataset):
    """One random crop of `segment_seconds` per file and epoch (training).

    The crop of item i in epoch e depends only on (seed, e, i), through its own torch.Generator, so
    a resumed run (trainer restores the epoch via `set_epoch`) and any DataLoader worker layout
    replay exactly the same audio."""

    def __init__(self, records, sample_rate: int, channels: int, segment_seconds: float, seed: int = 0):
        super().__init__(records, sample_rate, channels)
        self.segment = round(segment_seconds * self.sample_rate)
        self.seed, self.epoch = int(seed), 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = int(epoch)

    def crop_start(self, index: int) -> int:
        """Start of item `index`'s crop, in samples at the model rate."""
        _, info = self.records[index]
        n = info.frames * self.sample_rate // info.sample_rate
        g = torch.Generator().manual_seed(crop_seed(self.seed, self.epoch, index))
        return int(torch.randint(0, max(n - self.segment, 0) + 1, (1,), generator=g))

    def __getitem__(self, index: int) -> dict:
        entry, info = self.records[index]
        start, rate, sr = self.crop_start(index), info.sample_rate, self.sample_rate
        # Read from a native frame that falls exactly on a model-rate sample (a multiple of
        # rate/gcd), with a margin, so the crop equals the same span of the whole file resampled.
        block = rate // math.gcd(rate, sr)
        margin = math.ceil(CROP_MARGIN_SECONDS * rate)
        lo = max(start * rate // sr - margin, 0) // block * block
        skip = start - lo * sr // rate
        frames = math.ceil((skip + self.segment) * rate / sr) + margin
        wav = read_audio(entry.path, sr, self.channels, offset=lo, frames=frames)
        wav = wav[:, skip : skip + self.segment]
        if wav.shape[-1] < self.segment:  # a rounding sample short at the very end of a file
            wav = torch.nn.functional.pad(wav, (0, self.segment - wav.shape[-1]))
        return {"wav": wav, "item": entry.item, "speaker": entry.speaker}


def collate(items: list[dict]) -> dict:
    """items -> {"wav": (B, C, T_max) zero-padded, "lengths": (B,) int64, "item": [..], "speaker": [..]}."""
    if not items:
        raise ValueError("collate: empty batch")
    lengths = torch.tensor([it["wav"].shape[-1] for it in items], dtype=torch.long)
    wav = items[0]["wav"].new_zeros(len(items), items[0]["wav"].shape[0], int(lengths.max()))
    for b, it in enumerate(items):
        wav[b, :, : it["wav"].shape[-1]] = it["wav"]
    return {"wav": wav, "lengths": lengths, "item": [it["item"] for it in items],
            "speaker": [it["speaker"] for it in items]}


class AudioData:
    """The object built from `cfg.data`: sizes for the trainer plus `split(name)` datasets.

    Subclasses say where each split's files come from (`entries(name)`); this class checks them,
    logs each skipped file once with its reason and fails clearly when nothing usable is left."""

    collate = staticmethod(collate)

    def __init__(self, sample_rate: int, channels: int, segment_seconds: float = 1.0,
                 batch_size: int = 16, num_workers: int = 0, seed: int = 0,
                 eval_max_seconds: float | None = None) -> None:
        if segment_seconds <= 0:
            raise ValueError(f"data.segment_seconds={segment_seconds}: must be > 0")
        self.sample_rate, self.channels = int(sample_rate), int(channels)
        self.segment_seconds, self.batch_size = float(segment_seconds), int(batch_size)
        self.num_workers, self.seed, self.eval_max_seconds = int(num_workers), int(seed), eval_max_seconds
        self.skipped: dict[str, str] = {}
        self._splits: dict[str, Dataset] = {}

    def entries(self, name: str) -> list[Entry]:  # pragma: no cover - abstract
        raise NotImplementedError

    def describe(self, name: str) -> str:
        """Where split `name` comes from, for error messages."""
        return type(self).__name__

    def why_empty(self, name: str) -> str:
        """Why split `name` listed no file at all, and what to do (the error of an empty split)."""
        return "no audio files found; point the data config at audio soundfile can read"

    def split(self, name: str) -> Dataset:
        """"train" -> CropDataset; "valid"/"test" -> UtteranceDataset. Built once, then cached."""
        if name not in SPLITS:
            raise KeyError(f"unknown data split {name!r}: choose one of {', '.join(SPLITS)}")
        if name not in self._splits:
            self._splits[name] = self._build(name)
        return self._splits[name]

    def _build(self, name: str) -> Dataset:
        entries = self.entries(name)
        min_seconds = self.segment_seconds if name == "train" else 0.0
        kept, skipped = scan(entries, self.channels, min_seconds)
        self._report(name, len(entries), kept, skipped)
        if name == "train":
            return CropDataset(kept, self.sample_rate, self.channels, self.segment_seconds, self.seed)
        return UtteranceDataset(kept, self.sample_rate, self.channels, self.eval_max_seconds)

    def _report(self, name: str, found: int, kept: list, skipped: dict[str, AudioError]) -> None:
        for path, err in skipped.items():
            self.skipped[path] = err.reason
            if path not in _LOGGED:
                _LOGGED.add(path)
                log.warning("skipping %s: %s", path, err.reason)
        counts = ", ".join(f"{k}: {n}" for k, n in sorted(Counter(e.kind for e in skipped.values()).items()))
        if not kept:
            why = (f"all {found} files were skipped ({counts}); point the data config at audio soundfile can read"
                   if found else self.why_empty(name))
            raise EmptyDatasetError(f"data split {name!r} from {self.describe(name)} is empty: {why}")
        log.info("%s split: %d files kept, %d skipped%s", name, len(kept), len(skipped),
                 f" ({counts})" if skipped else "")


class FolderData(AudioData):
    """Every audio file under `root`. Splits: `root/{train,valid,test}/` when `root/train` exists,
    otherwise a stable hash split of the relative paths (valid_fraction, test_fraction)."""

    def __init__(self, root: str, valid_fraction: float = 0.05, test_fraction: float = 0.05,
                 speaker_level: int | None = 0, **kwargs) -> None:
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

    def describe(self, name: str) -> str:
        return f"data.root={self.root / name if self.by_folder else self.root}"

    def why_empty(self, name: str) -> str:
        if self.by_folder:
            return f"no audio files in {self.root / name}"
        total = len(find_audio(self.root))
        if not total:
            return f"no audio files found under {self.root}"
        fraction = {"valid": self.valid_fraction, "test": self.test_fraction}.get(name)
        fix = (f"raise data.{name}_fraction (now {fraction:g})" if fraction is not None else
               "lower data.valid_fraction + data.test_fraction")
        return (f"the hash split gave none of the {total} audio files under {self.root} to {name!r}: {fix}, or "
                f"split the files yourself into {self.root}/train/, valid/ and test/ folders")

    def entries(self, name: str) -> list[Entry]:
        base = self.root / name if self.by_folder else self.root
        if self.by_folder and not base.is_dir():
            raise FileNotFoundError(f"{self.root} has train/ but no {name}/ folder: add one, or "
                                    "remove the sub-folders to use a hash split")
        out = []
        for path in find_audio(base):
            rel = path.relative_to(base)
            if self.by_folder or hash_split(rel.as_posix(), self.valid_fraction, self.test_fraction) == name:
                out.append(Entry(str(path), path.relative_to(self.root).as_posix(),
                                 speaker_of(rel, self.speaker_level)))
        return out


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
