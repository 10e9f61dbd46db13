"""The per-epoch data loaders of a run, from the built data module (no config is read here)."""

from __future__ import annotations

import torch


def build_train_loader(dataset, data, sampler, epoch: int, seed: int, pin: bool):
    """One DataLoader per epoch; its own generator keeps the global RNG untouched (a resumed run must
    draw the same random numbers as an uninterrupted one)."""
    from torch.utils.data import DataLoader

    if hasattr(dataset, "set_epoch"):
        dataset.set_epoch(epoch)
    loader = DataLoader(
        dataset,
        batch_size=data.batch_size,
        sampler=sampler,
        collate_fn=collate_fn(data),
        num_workers=data.num_workers,
        drop_last=True,
        pin_memory=pin,
        generator=torch.Generator().manual_seed(seed * 7919 + epoch),
    )
    watch = getattr(data, "watch", None)  # names the files replaced at read time (src.data.datasets)
    return watch(loader) if watch is not None else loader


def build_eval_loader(dataset, data):
    from torch.utils.data import DataLoader

    return DataLoader(dataset, batch_size=data.batch_size, shuffle=False, collate_fn=collate_fn(data), num_workers=0)


def collate_fn(data):
    """The data module's own `collate` when it has one, else src.data.datasets.collate (the contract)."""
    own = getattr(data, "collate", None)
    if own is not None:
        return own
    from src.data.datasets import collate

    return collate
