"""The split datasets: seeded random training crops checked as they are read, whole utterances for eval.

Items are `{"wav": (C, T) float32, "item": str, "speaker": str, "skipped": [(path, kind, reason)]}`.
A training file found bad when its crop is read (undecodable, truncated, NaN/Inf) is replaced by a crop
of another file chosen from (seed, epoch, index, attempt) alone, so a batch keeps its size and a resumed
run (or any worker layout) draws the same replacement; `skipped` carries the bad file to the main
process, which names it once (`AudioData.watch`).
"""

from __future__ import annotations

import hashlib
import math

import torch
from torch.utils.data import Dataset

from src.data.audio import AudioError, TruncatedAudio, convert, read_audio, read_native

CROP_MARGIN_SECONDS = 0.01  # context read around a crop so soxr's filter edges fall outside it
MAX_ATTEMPTS = 32  # replacement files tried for one item before the data is declared broken
HEADER_SLACK = 2304  # native frames a header may overstate (2 MPEG frames) before a read is "truncated"


class TooManyBadFiles(RuntimeError):
    """MAX_ATTEMPTS files in a row failed when read: the data, not one file, is broken."""


def crop_seed(seed: int, epoch: int, index: int, attempt: int = 0) -> int:
    """A well-mixed 63-bit seed from (seed, epoch, index[, attempt]): nearby tuples give unrelated crops."""
    key = f"{seed}:{epoch}:{index}" + (f":{attempt}" if attempt else "")
    digest = hashlib.blake2b(key.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") >> 1


class UtteranceDataset(Dataset):
    """Whole files (valid/test), converted to the model rate and channel count. Their content was
    checked in full when the split was built (cached in the index), so a read here does not fail.

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
        return {"wav": wav, "item": entry.item, "speaker": entry.speaker, "skipped": []}


class CropDataset(UtteranceDataset):
    """One random crop of `segment` samples per file and epoch (training).

    The crop of item i in epoch e depends only on (seed, e, i), through its own torch.Generator, so
    a resumed run (trainer restores the epoch via `set_epoch`) and any DataLoader worker layout
    replay exactly the same audio. A bad file's item is filled from `replacement(i, attempt)`."""

    def __init__(self, records, sample_rate: int, channels: int, segment: int, seed: int = 0):
        super().__init__(records, sample_rate, channels)
        self.segment = int(segment)
        self.seed, self.epoch = int(seed), 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = int(epoch)

    def crop_start(self, index: int, attempt: int = 0, record: int | None = None) -> int:
        """Start (samples at the model rate) of item `index`'s crop, taken from file `record`
        (default: the item's own file) on replacement `attempt`."""
        _, info = self.records[index if record is None else record]
        n = info.frames * self.sample_rate // info.sample_rate
        g = torch.Generator().manual_seed(crop_seed(self.seed, self.epoch, index, attempt))
        return int(torch.randint(0, max(n - self.segment, 0) + 1, (1,), generator=g))

    def replacement(self, index: int, attempt: int) -> int:
        """The file that fills item `index` on `attempt` >= 1: a function of (seed, epoch, index,
        attempt) only, never of what this process read before (resume must draw the same)."""
        j = crop_seed(self.seed + 1, self.epoch, index, attempt) % len(self.records)
        return j if j != index % len(self.records) else (j + 1) % len(self.records)

    def __getitem__(self, index: int) -> dict:
        return self.fetch(index, index)

    def fetch(self, key: int, record: int) -> dict:
        """A crop of file `record` drawn with `key` (the item index: crop and replacements depend on
        (seed, epoch, key) only); a mix of datasets reads its sources this way."""
        skipped = []
        for attempt in range(MAX_ATTEMPTS):
            file = record if attempt == 0 else self.replacement(key, attempt)
            try:
                item = self.read_crop(file, self.crop_start(key, attempt, file))
            except AudioError as err:
                skipped.append((err.path, err.kind, err.reason))
                continue
            return {**item, "skipped": skipped}
        names = "; ".join(f"{p}: {r}" for p, _, r in skipped[:5])
        raise TooManyBadFiles(
            f"{MAX_ATTEMPTS} training files in a row could not be read ({names}, ...): "
            "check the data folder or manifest (python -m src.data.index --full)"
        )

    def read_crop(self, record: int, start: int) -> dict:
        """`segment` samples of file `record` from `start` (model rate); AudioError when it is bad."""
        entry, info = self.records[record]
        rate, sr = info.sample_rate, self.sample_rate
        # Read from a native frame that falls exactly on a model-rate sample (a multiple of
        # rate/gcd), with a margin, so the crop equals the same span of the whole file resampled.
        block = rate // math.gcd(rate, sr)
        margin = math.ceil(CROP_MARGIN_SECONDS * rate)
        lo = max(start * rate // sr - margin, 0) // block * block
        skip = start - lo * sr // rate
        frames = math.ceil((skip + self.segment) * rate / sr) + margin
        x, _ = read_native(entry.path, offset=lo, frames=frames)
        expected = min(frames, info.frames - lo)
        if x.shape[-1] < expected - HEADER_SLACK:  # the header promised frames the file does not hold
            raise TruncatedAudio(
                entry.path, f"truncated (header: {info.frames} frames; a read at {lo} got {x.shape[-1]} of {expected})"
            )
        wav = convert(x, rate, sr, self.channels, entry.path)[:, skip : skip + self.segment]
        if wav.shape[-1] < self.segment:  # a rounding sample short at the very end of a file
            wav = torch.nn.functional.pad(wav, (0, self.segment - wav.shape[-1]))
        return {"wav": wav, "item": entry.item, "speaker": entry.speaker}
