"""EMA vector-quantization codebook (van den Oord et al. 2017, App. A; SoundStream/EnCodec) with
k-means init, Laplace smoothing, dead-code replacement and multi-process synchronisation.

Under torch.distributed every rank ends each step with the same codebook: batch statistics are
all-reduced before the EMA update, and k-means init and dead-code samples are drawn on rank 0 from
data gathered across ranks, then broadcast. DDP's buffer broadcast is never relied upon.
"""

from __future__ import annotations

import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch import Tensor, nn

from src.quantizer.common import CodeUsage


# ------------------------------------------------------------------ distributed helpers
def _dist_on() -> bool:
    return dist.is_available() and dist.is_initialized()


def _rank() -> int:
    return dist.get_rank() if _dist_on() else 0


def all_reduce_sum_(t: Tensor) -> Tensor:
    if _dist_on():
        dist.all_reduce(t, op=dist.ReduceOp.SUM)
    return t


def broadcast_(t: Tensor, src: int = 0) -> Tensor:
    if _dist_on():
        dist.broadcast(t, src=src)
    return t


def gather_rows(x: Tensor) -> Tensor:
    """x: (n_r, D) on each rank -> (sum_r n_r, D): all ranks' rows in rank order (sizes may differ)."""
    if not _dist_on():
        return x
    world = dist.get_world_size()
    n = torch.tensor([x.shape[0]], device=x.device, dtype=torch.long)
    sizes = [torch.zeros_like(n) for _ in range(world)]
    dist.all_gather(sizes, n)
    sizes = [int(s) for s in sizes]
    padded = x.new_zeros(max(sizes), x.shape[1])
    padded[: x.shape[0]] = x
    parts = [torch.empty_like(padded) for _ in range(world)]
    dist.all_gather(parts, padded)
    return torch.cat([p[:s] for p, s in zip(parts, sizes)])


# ------------------------------------------------------------------ k-means
def nearest(x: Tensor, embed: Tensor) -> Tensor:
    """x: (N, D), embed: (K, D) -> (N,) index of the nearest code (squared L2).

    ||x||^2 is constant per row, so argmin(||e||^2 - 2 x.e): one matrix product, no (N, K, D) tensor.
    """
    with torch.autocast(x.device.type, enabled=False):  # bf16 scores pick other codes near ties
        x, embed = x.float(), embed.float()
        scores = torch.addmm(embed.pow(2).sum(1)[None], x, embed.t(), beta=1.0, alpha=-2.0)
    return scores.argmin(dim=1)


def sample_rows(x: Tensor, n: int, generator: torch.Generator) -> Tensor:
    """n rows of x: (N, D), without replacement when N >= n. The generator is a CPU one, so the
    draw is the same whatever the device."""
    if x.shape[0] >= n:
        idx = torch.randperm(x.shape[0], generator=generator)[:n]
    else:
        idx = torch.randint(0, x.shape[0], (n,), generator=generator)
    return x[idx.to(x.device)]


def cluster_stats(x: Tensor, idx: Tensor, k: int) -> tuple[Tensor, Tensor]:
    """x: (N, D), idx: (N,) -> counts (K,), sums (K, D) (index_add, no one-hot matrix)."""
    counts = torch.bincount(idx, minlength=k).to(x.dtype)
    sums = x.new_zeros(k, x.shape[1]).index_add_(0, idx, x)
    return counts, sums


def kmeans(x: Tensor, k: int, iters: int, generator: torch.Generator) -> tuple[Tensor, Tensor]:
    """Lloyd's k-means. x: (N, D) -> centroids (K, D), cluster sizes (K,). Empty clusters keep
    their previous centroid."""
    means = sample_rows(x, k, generator)
    for _ in range(iters):
        counts, sums = cluster_stats(x, nearest(x, means), k)
        means = torch.where(counts[:, None] > 0, sums / counts.clamp(min=1)[:, None], means)
    counts, _ = cluster_stats(x, nearest(x, means), k)
    return means, counts


# ------------------------------------------------------------------ the codebook
class EMACodebook(nn.Module):
    """Codebook updated by exponential moving averages, not by gradient (0 trainable parameters).

    forward(x: (N, D), valid: (N,) bool | None, update) -> (q (N, D), codes (N,) int64, metrics).
    Statistics (buffers): cluster_size (K,), embed_sum (K, D); the codebook `embed` (K, D) is their
    Laplace-smoothed ratio.
    """

    def __init__(
        self,
        dim: int,
        codebook_size: int,
        decay: float = 0.99,
        epsilon: float = 1e-5,
        kmeans_init: bool = True,
        kmeans_iters: int = 50,
        threshold_ema_dead: float = 2.0,
        usage_window: int = 100,
        seed: int = 0,
    ) -> None:
        super().__init__()
        if not 0.0 <= decay < 1.0:
            raise ValueError(f"quantizer.decay={decay} must be in [0, 1)")
        self.dim, self.codebook_size = int(dim), int(codebook_size)
        self.decay, self.epsilon = float(decay), float(epsilon)
        self.kmeans_init, self.kmeans_iters = bool(kmeans_init), int(kmeans_iters)
        self.threshold_ema_dead = float(threshold_ema_dead)
        embed = torch.zeros(codebook_size, dim) if kmeans_init else torch.randn(codebook_size, dim)
        self.register_buffer("initted", torch.tensor(not kmeans_init))
        # without k-means, start each code as if it had one vector so that the ratio equals `embed`
        self.register_buffer("cluster_size", torch.zeros(codebook_size) if kmeans_init else torch.ones(codebook_size))
        self.register_buffer("embed_sum", embed.clone())
        self.register_buffer("embed", embed)
        self.usage = CodeUsage(codebook_size, usage_window)
        self.generator = torch.Generator().manual_seed(int(seed))

    # The sampling generator's state travels with the weights (a uint8 tensor, safetensors-friendly),
    # so that a resumed run draws the same k-means/dead-code samples as an uninterrupted one.
    def get_extra_state(self) -> Tensor:
        return self.generator.get_state()

    def set_extra_state(self, state: Tensor) -> None:
        self.generator.set_state(state.to("cpu", torch.uint8))

    # -------------------------------------------------------------- steps
    @torch.no_grad()
    def init_from(self, x: Tensor) -> None:
        """k-means on the rows gathered from all ranks, computed on rank 0 and broadcast."""
        data = gather_rows(x)
        if data.shape[0] == 0:
            return  # nothing valid anywhere yet: try again on the next batch
        if _rank() == 0:
            embed, sizes = kmeans(data, self.codebook_size, self.kmeans_iters, self.generator)
        else:
            embed, sizes = torch.empty_like(self.embed), torch.empty_like(self.cluster_size)
        broadcast_(embed)
        broadcast_(sizes)
        self.embed.copy_(embed)
        self.cluster_size.copy_(sizes)
        self.embed_sum.copy_(embed * sizes[:, None])  # consistent: embed_sum / cluster_size == embed
        self.initted.fill_(True)

    @torch.no_grad()
    def ema_update(self, x: Tensor, codes: Tensor) -> Tensor:
        """x: (N, D) valid vectors, codes: (N,) their codes -> (K,) global counts of this batch."""
        counts, sums = cluster_stats(x, codes, self.codebook_size)
        stats = all_reduce_sum_(torch.cat([sums, counts[:, None]], dim=1))  # one collective
        sums, counts = stats[:, :-1], stats[:, -1]
        self.cluster_size.lerp_(counts, 1.0 - self.decay)
        self.embed_sum.lerp_(sums, 1.0 - self.decay)
        n = self.cluster_size.sum()
        smoothed = (self.cluster_size + self.epsilon) / (n + self.codebook_size * self.epsilon) * n
        self.embed.copy_(self.embed_sum / smoothed[:, None])
        return counts

    @torch.no_grad()
    def replace_dead(self, x: Tensor) -> Tensor:
        """Codes whose EMA size fell under threshold_ema_dead get vectors of this batch (all ranks),
        AND their statistics reset (size = threshold, sum = vector x size), so the replacement is
        what the EMA carries forward. Returns the (K,) bool mask of replaced codes."""
        dead = self.cluster_size < self.threshold_ema_dead
        n_dead = int(dead.sum())  # identical on all ranks: cluster_size is synchronised
        if n_dead == 0:
            return dead
        data = gather_rows(x)
        if data.shape[0] == 0:
            return torch.zeros_like(dead)
        samples = sample_rows(data, n_dead, self.generator) if _rank() == 0 else data.new_empty(n_dead, self.dim)
        broadcast_(samples)
        reset = max(self.threshold_ema_dead, 1.0)
        self.embed[dead] = samples
        self.cluster_size[dead] = reset
        self.embed_sum[dead] = samples * reset
        return dead

    # -------------------------------------------------------------- forward
    def forward(
        self, x: Tensor, valid: Tensor | None = None, update: bool = True
    ) -> tuple[Tensor, Tensor, dict[str, Tensor]]:
        """x: (N, D); valid: (N,) bool of rows allowed to update statistics. `update` only acts in
        training mode. Returns q (N, D) from the codebook before this step's update, codes (N,)."""
        update = update and self.training
        x = x.detach().float()
        xs = x if valid is None else x[valid]
        if update and not bool(self.initted):
            self.init_from(xs)
        codes = nearest(x, self.embed)
        q = F.embedding(codes, self.embed)
        if not update:
            used = codes if valid is None else codes[valid]
            counts = torch.bincount(used, minlength=self.codebook_size)
            return q, codes, self.usage(counts, update=False)
        counts = self.ema_update(xs, codes if valid is None else codes[valid])
        dead_before = (self.cluster_size < self.threshold_ema_dead).sum()
        replaced = self.replace_dead(xs) if self.threshold_ema_dead > 0 else torch.zeros(0)
        metrics = self.usage(counts, update=True)
        metrics["dead_codes"] = dead_before.float()
        metrics["replaced"] = replaced.sum().float()
        return q, codes, metrics


def find_ema_codebooks(module: nn.Module) -> dict[str, EMACodebook]:
    """All EMA codebooks inside `module`, by qualified name (for the trainer's logging/checks)."""
    return {name: m for name, m in module.named_modules() if isinstance(m, EMACodebook)}
