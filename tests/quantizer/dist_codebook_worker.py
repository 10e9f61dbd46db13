"""Worker for the distributed EMA-codebook test: `torchrun --nproc_per_node N this.py OUT_DIR [compile]`.

Each rank quantizes its contiguous share of a fixed batch for several training steps (k-means init
at step 0, dead-code replacements on the way) and saves its codebook state to OUT_DIR/rank<r>.pt.
`run_steps(rank=0, world=1)` is the single-process reference on the whole batch. With `compile`, the
quantizer is compiled (backend "eager", fullgraph=True): its collectives are traced as functional ones.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import torch
import torch.distributed as dist

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from src.quantizer.codebook import find_ema_codebooks
from src.quantizer.rvq import ResidualVQ

BATCH, DIM, FRAMES, STEPS = 4, 3, 12, 4


def make_batches() -> list[tuple[torch.Tensor, torch.Tensor]]:
    g = torch.Generator().manual_seed(1234)
    out = []
    for _ in range(STEPS):
        z = torch.randn(BATCH, DIM, FRAMES, generator=g)
        mask = torch.ones(BATCH, FRAMES, dtype=torch.bool)
        mask[1, 8:] = False  # padded frames on one sample of each half
        mask[3, 5:] = False
        z[~mask.unsqueeze(1).expand_as(z)] = 100.0  # would wreck the codebook if it leaked in
        out.append((z, mask))
    return out


def run_steps(rank: int, world: int, compiled: bool = False) -> dict[str, torch.Tensor]:
    q = ResidualVQ(
        DIM,
        n_codebooks=2,
        codebook_size=16,
        kmeans_init=True,
        kmeans_iters=3,
        threshold_ema_dead=1.5,
        quantizer_dropout=0.0,
    ).train()
    if compiled:
        q.compile(backend="eager", fullgraph=True)
    per = BATCH // world
    replaced = torch.zeros(())
    for z, mask in make_batches():
        sl = slice(rank * per, (rank + 1) * per)
        out = q(z[sl], mask=mask[sl])
        replaced = replaced + sum(v for k, v in out.metrics.items() if k.startswith("vq/replaced"))
    state = {
        f"{name}.{buf}": getattr(cb, buf).clone()
        for name, cb in find_ema_codebooks(q).items()
        for buf in ("embed", "cluster_size", "embed_sum", "initted")
    }
    state["replaced"] = replaced
    return state


def main(out_dir: str, compiled: bool = False) -> None:
    dist.init_process_group("gloo")
    rank, world = dist.get_rank(), dist.get_world_size()
    torch.manual_seed(100 + rank)  # different global RNG per rank, as in training: must not matter
    state = run_steps(rank, world, compiled)
    state["rank"], state["world"] = torch.tensor(rank), torch.tensor(world)
    torch.save(state, os.path.join(out_dir, f"rank{rank}.pt"))
    dist.barrier()
    dist.destroy_process_group()


if __name__ == "__main__":
    main(sys.argv[1], compiled=sys.argv[2:] == ["compile"])
