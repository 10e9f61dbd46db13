"""Weighted mixing of datasets (DAC, Kumar et al. 2023: speech, music and general audio sampled by weight).

`data=mix` with `data.sources={name: {weight: w, kind: folder|manifest|demo|webdataset, <that kind's keys>}}`.
Training item i of epoch e comes from source s with probability weight_s / sum(weights), drawn from
(seed, e, i) alone, then from a file of that source drawn the same way: any worker layout and a
resumed run replay the same mix. Eval splits are the sources' eval splits one after the other, items
named `<source>/<item>`. Served counts per source are logged at the end of every epoch.
"""

from __future__ import annotations

import bisect
import importlib
import logging
from collections import Counter

import torch
from torch.utils.data import Dataset

from src.data.crops import crop_seed
from src.data.datasets import AudioData
from src.data.sources import SPLITS

log = logging.getLogger("codeclab.data")

KINDS = {
    "folder": "src.data.datasets.FolderData",
    "manifest": "src.data.datasets.ManifestData",
    "demo": "src.data.demo.DemoData",
    "webdataset": "src.data.webdataset.WebDatasetData",
}
SHARED = (
    "sample_rate",
    "channels",
    "segment_seconds",
    "segment_frames",
    "hop_length",
    "batch_size",
    "num_workers",
    "seed",
    "eval_max_seconds",
    "index_dir",
    "index_workers",
)


class MixDataset(Dataset):
    """`length` items per epoch, each a training crop from one source's CropDataset chosen by weight."""

    def __init__(self, sources: dict[str, Dataset], weights: dict[str, float], length: int, seed: int):
        self.names, self.sources = list(sources), sources
        total = float(sum(weights[n] for n in self.names))
        self.cumulative = [sum(weights[n] for n in self.names[: k + 1]) / total for k in range(len(self.names))]
        self.length, self.seed, self.epoch = int(length), int(seed), 0

    def __len__(self) -> int:
        return self.length

    def set_epoch(self, epoch: int) -> None:
        self.epoch = int(epoch)
        for ds in self.sources.values():
            ds.set_epoch(epoch)

    def pick(self, index: int) -> tuple[str, int]:
        """(source name, file index in it) of item `index`: a function of (seed, epoch, index) only."""
        u = crop_seed(self.seed + 7, self.epoch, index) / 2**63
        name = self.names[min(bisect.bisect_right(self.cumulative, u), len(self.names) - 1)]
        return name, crop_seed(self.seed + 11, self.epoch, index) % len(self.sources[name])

    def __getitem__(self, index: int) -> dict:
        name, record = self.pick(index)
        return {**self.sources[name].fetch(index, record), "source": name}


class NamedItems(Dataset):
    """An eval split of one source, items renamed `<source>/<item>` (names stay unique in a mix)."""

    def __init__(self, name: str, dataset: Dataset) -> None:
        self.name, self.dataset = name, dataset

    def __len__(self) -> int:
        return len(self.dataset)

    def __getitem__(self, index: int) -> dict:
        item = self.dataset[index]
        return {**item, "item": f"{self.name}/{item['item']}", "source": self.name}


class MixData(AudioData):
    """Several data modules sampled by weight. sources: {name: {weight, kind, **that kind's keys}};
    the shared keys (rate, channels, crop, batch, seed, index) come from this config."""

    def __init__(self, sources: dict, epoch_items: int | None = None, **kwargs) -> None:
        super().__init__(**kwargs)
        if not sources:
            raise ValueError("data.sources is empty: give {name: {weight: w, kind: folder, root: ...}}")
        self.weights, self.sources = {}, {}
        for name, spec in sources.items():
            spec = dict(spec)
            weight, kind = float(spec.pop("weight", 1.0)), spec.pop("kind", None)
            if kind not in KINDS:
                raise ValueError(f"data.sources.{name}.kind={kind!r}: choose one of {sorted(KINDS)}")
            if weight <= 0:
                raise ValueError(f"data.sources.{name}.weight={weight}: must be > 0")
            module, cls = KINDS[kind].rsplit(".", 1)
            shared = {k: kwargs[k] for k in SHARED if k in kwargs}
            self.sources[name] = getattr(importlib.import_module(module), cls)(**{**shared, **spec})
            self.weights[name] = weight
        self.epoch_items = epoch_items
        self.counts: Counter = Counter()  # training items served per source (main process)

    def split(self, name: str) -> Dataset:
        if name not in SPLITS:
            raise KeyError(f"unknown data split {name!r}: choose one of {', '.join(SPLITS)}")
        if name not in self._splits:
            parts = {n: src.split(name) for n, src in self.sources.items()}
            for src in self.sources.values():
                self.skipped.update(src.skipped)
            if name == "train":
                length = self.epoch_items or sum(len(p) for p in parts.values())
                self._splits[name] = MixDataset(parts, self.weights, length, self.seed)
            else:
                self._splits[name] = torch.utils.data.ConcatDataset([NamedItems(n, p) for n, p in parts.items()])
        return self._splits[name]

    def watch(self, batches):
        """As AudioData.watch, and count the items served per source; logged when an epoch ends."""
        epoch = Counter()
        for batch in super().watch(batches):
            epoch.update(batch.get("source", ()))
            yield batch
        self.counts.update(epoch)
        total = sum(epoch.values()) or 1
        log.info(
            "mix: epoch served %s (weights %s)",
            ", ".join(f"{n} {epoch[n]} ({epoch[n] / total:.1%})" for n in self.sources),
            self.weights,
        )
