"""Tar shards as a dataset (the WebDataset layout of stable-audio-tools and NeMo), read without a package.

`data=webdataset data.shards=/path/to/shards` reads `<split>-*.tar` written by `python -m src.data.shard`.
Headers come from each item's JSON (listed in `<shard>.members.json`, or scanned from the tar once),
so a start reads no audio. Items are addressed by (shard, byte offset, size): every rank reads only
the members its sampler deals it (the trainer's ResumableShardSampler splits by rank, the DataLoader
by worker), crops are the folder dataset's, and resume is exact. Reading is by offset into each shard,
so shards must sit on a filesystem (local, NFS, Lustre, a FUSE-mounted bucket), not be piped from a URL.
"""

from __future__ import annotations

import glob
import json
import os
from pathlib import Path

from src.data.audio import MEMBER, AudioError, AudioInfo
from src.data.datasets import AudioData
from src.data.shard import MEMBERS, list_members
from src.data.sources import Entry


class WebDatasetData(AudioData):
    """Shards `<shards>/<split>-*.tar` (or a glob with `{split}` in it) -> the usual split datasets."""

    def __init__(self, shards: str, **kwargs) -> None:
        super().__init__(**kwargs)
        if shards in (None, "", "???"):
            raise ValueError(
                "data.shards is not set: pass data.shards=/path/to/shards (written by python -m src.data.shard)"
            )
        self.shards = str(Path(shards).expanduser())
        self._members: dict[str, list[tuple[Entry, AudioInfo]]] = {}

    def describe(self, name: str) -> str:
        return f"data.shards={self.pattern(name)}"

    def pattern(self, name: str) -> str:
        if "{split}" in self.shards:
            return self.shards.format(split=name)
        return os.path.join(self.shards, f"{name}-*.tar")

    def members(self, name: str) -> list[tuple[Entry, AudioInfo]]:
        """(entry, header) per audio member of the split's shards, in shard then key order."""
        if name not in self._members:
            shards = sorted(glob.glob(self.pattern(name)))
            if not shards:
                raise FileNotFoundError(
                    f"no shard matches {self.pattern(name)}: write shards with "
                    "python -m src.data.shard <folder or manifest> <out_dir>"
                )
            out = []
            for shard in shards:
                listing = Path(f"{shard}{MEMBERS}")
                rows = json.loads(listing.read_text()) if listing.is_file() else list_members(shard)
                for row in rows:
                    meta = row["meta"]
                    path = f"{shard}{MEMBER}{row['offset']}:{row['size']}:{meta['item']}"
                    out.append(
                        (
                            Entry(path, meta["item"], meta.get("speaker", "")),
                            AudioInfo(meta["sample_rate"], meta["channels"], meta["frames"]),
                        )
                    )
            self._members[name] = out
        return self._members[name]

    def entries(self, name: str) -> list[Entry]:
        return [entry for entry, _ in self.members(name)]

    def headers(self, name: str, entries: list[Entry]) -> dict[str, AudioInfo | AudioError]:
        """From the shards' JSON: the writer stored every header, so nothing is scanned here. Eval
        members are not decoded at start either; the writer kept only files with usable headers."""
        return {entry.path: info for entry, info in self.members(name)}
