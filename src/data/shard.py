"""Write WebDataset-style tar shards (as stable-audio-tools and NeMo stream them) from a folder or manifest.

`python -m src.data.shard <folder or manifest> <out_dir> [--items 1000] [--valid m.jsonl --test m.jsonl]`
writes `<out_dir>/<split>-000000.tar, ...`: per item `<key>.<ext>` (the original file's bytes, not
re-encoded) and `<key>.json` ({item, speaker, frames, sample_rate, channels}); files whose header is
unusable are left out. Beside each shard, `<shard>.members.json` lists every audio member's byte
offset and size, so a reader opens a shard without scanning it. Shards are written to a temp name and
renamed: a reader never sees half a shard. Plain `tarfile`: no dependency.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import tarfile
from pathlib import Path

from src.data.audio import AudioInfo
from src.data.sources import SPLITS, Entry

MEMBERS = ".members.json"


def write_shards(
    records: list[tuple[Entry, AudioInfo]], out_dir: str | Path, split: str, items_per_shard: int = 1000
) -> list[Path]:
    """records (entry, header) -> tar shards `<split>-NNNNNN.tar` of up to items_per_shard items."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    shards = []
    for k, start in enumerate(range(0, len(records), items_per_shard)):
        path = out_dir / f"{split}-{k:06d}.tar"
        tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
        with tarfile.open(tmp, "w", format=tarfile.PAX_FORMAT) as tar:
            for n, (entry, info) in enumerate(records[start : start + items_per_shard], start):
                key = f"{n:08d}"  # WebDataset keys: no dots; the member's extension names its type
                meta = {
                    "item": entry.item,
                    "speaker": entry.speaker,
                    "frames": info.frames,
                    "sample_rate": info.sample_rate,
                    "channels": info.channels,
                }
                blob = json.dumps(meta).encode()
                ti = tarfile.TarInfo(f"{key}.json")
                ti.size = len(blob)
                tar.addfile(ti, io.BytesIO(blob))
                tar.add(entry.path, arcname=f"{key}{Path(entry.path).suffix.lower()}", recursive=False)
        members = list_members(tmp)
        os.replace(tmp, path)
        Path(f"{path}{MEMBERS}").write_text(json.dumps(members))
        shards.append(path)
    return shards


def list_members(shard: str | Path) -> list[dict]:
    """Scan a shard's tar headers -> [{key, name, offset, size, meta}] for each audio member."""
    audio, meta = {}, {}
    with tarfile.open(shard, "r") as tar:
        for ti in tar:
            if not ti.isfile():
                continue
            key, _, ext = ti.name.rpartition(".")
            if ext == "json":
                meta[key] = json.loads(tar.extractfile(ti).read())
            else:
                audio[key] = {"key": key, "name": ti.name, "offset": ti.offset_data, "size": ti.size}
    missing = sorted(set(audio) - set(meta))
    if missing:
        raise ValueError(
            f"{shard}: audio members without a .json ({missing[:3]}...): not a codeclab "
            "shard; write shards with python -m src.data.shard"
        )
    return [{**audio[k], "meta": meta[k]} for k in sorted(audio)]


def main(argv: list[str] | None = None) -> None:
    from src.data.datasets import FolderData, ManifestData, scan

    parser = argparse.ArgumentParser(prog="python -m src.data.shard", description=__doc__.split("\n")[0])
    parser.add_argument("source", help="a folder (its train/valid/test or hash split) or a train manifest")
    parser.add_argument("out_dir")
    parser.add_argument("--items", type=int, default=1000, help="items per shard")
    parser.add_argument("--valid", default=None, help="manifest of the valid split (manifest source)")
    parser.add_argument("--test", default=None, help="manifest of the test split (manifest source)")
    parser.add_argument("--valid-fraction", type=float, default=0.05, help="hash split (folder source)")
    parser.add_argument("--test-fraction", type=float, default=0.05, help="hash split (folder source)")
    args = parser.parse_args(argv)
    common = {"sample_rate": 16000, "channels": 1}  # unused here: headers are stored as they are
    if Path(args.source).is_dir():
        data = FolderData(
            root=args.source, valid_fraction=args.valid_fraction, test_fraction=args.test_fraction, **common
        )
    else:
        data = ManifestData(train=args.source, valid=args.valid, test=args.test, **common)
    for split in SPLITS:
        if isinstance(data, ManifestData) and not data.manifests[split]:
            continue
        entries = data.entries(split)
        kept, skipped = scan(entries, data.headers(split, entries), channels=1)
        shards = write_shards(kept, args.out_dir, split, args.items)
        print(f"{split}: {len(kept)} items in {len(shards)} shards, {len(skipped)} unusable files left out")


if __name__ == "__main__":
    main()
