"""Deterministic, resumable sharding of the training set over processes."""

from __future__ import annotations

import torch
from torch.utils.data import Sampler


class ResumableShardSampler(Sampler[int]):
    """Permutes the dataset with (seed, epoch), deals index k to rank k % world_size, keeps whole batches
    only (every rank sees the same number, so collective ops never wait on a rank that ran out), and
    starts `start_batch` batches into the epoch: a resumed run continues exactly where it stopped."""

    def __init__(
        self, n_items: int, batch_size: int, rank: int = 0, world_size: int = 1, seed: int = 0, shuffle: bool = True
    ) -> None:
        self.n, self.batch_size, self.rank, self.world = n_items, batch_size, rank, world_size
        self.seed, self.shuffle = seed, shuffle
        self.epoch, self.start_batch = 0, 0
        if self.batches_per_epoch == 0:
            raise ValueError(
                f"the training split has {n_items} items: fewer than data.batch_size={batch_size} x "
                f"{world_size} process(es); lower data.batch_size or add data"
            )

    @property
    def batches_per_epoch(self) -> int:
        return (self.n // self.world) // self.batch_size

    def set_epoch(self, epoch: int, start_batch: int = 0) -> None:
        self.epoch, self.start_batch = int(epoch), int(start_batch)

    def _order(self) -> torch.Tensor:
        if not self.shuffle:
            return torch.arange(self.n)
        g = torch.Generator().manual_seed(self.seed * 1_000_003 + self.epoch)
        return torch.randperm(self.n, generator=g)

    def __iter__(self):
        usable = self.batches_per_epoch * self.batch_size
        mine = self._order()[self.rank :: self.world][:usable]
        return iter(mine[self.start_batch * self.batch_size :].tolist())

    def __len__(self) -> int:
        return (self.batches_per_epoch - self.start_batch) * self.batch_size
