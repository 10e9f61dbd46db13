"""EMA vector-quantization codebook (van den Oord et al. 2017, App. A; SoundStream/EnCodec) with
k-means init, Laplace smoothing, dead-code replacement and multi-process synchronisation.

Under torch.distributed every rank ends each step with the same codebook: batch statistics are
all-reduced before the EMA update; k-means init is drawn on rank 0 from data gathered across ranks, then
broadcast; dead-code samples are chosen identically on every rank from candidates gathered across ranks.
DDP's buffer broadcast is never relied upon.

torch.compile: every training step but the first is compile-clean (one graph, no host reads): statistics
are fixed-shape tensor ops, the usage window lives in buffers, dead codes are replaced with masks over a
fixed-size candidate set ordered by a hash of the rows (`row_keys`), and the collectives are all_reduce and
all_gather_single, which Dynamo traces as functional collectives. The k-means init of the first
training batch reads the host and draws from a CPU generator: it runs once per run, eagerly, behind the
Python flag `EMACodebook.ready` (ResidualVQ.forward runs that step uncompiled; docs/speed.md).
"""

from __future__ import annotations

import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch import Tensor, nn

from src.quantizer.common import CodeUsage, code_counts


# ------------------------------------------------------------------ distributed helpers
def _dist_on() -> bool:
    return dist.is_available() and dist.is_initialized()


def _rank() -> int:
    return dist.get_rank() if _dist_on() else 0


def all_reduce_sum_(t: Tensor) -> Tensor:
    if _dist_on():
        dist.all_reduce(t, op=dist.ReduceOp.SUM)
    return t


def all_gather_cat(t: Tensor) -> Tensor:
    """t: (M, ...) of the same shape on every rank -> (world * M, ...): all ranks' tensors in rank order.
    Fixed shapes and all_gather_single (all_gather_into_tensor): traced by Dynamo as a functional collective."""
    if not _dist_on():
        return t
    out = t.new_empty((dist.get_world_size() * t.shape[0], *t.shape[1:]))
    dist.all_gather_single(out, t.contiguous())
    return out


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


def cluster_stats(x: Tensor, idx: Tensor, k: int, valid: Tensor | None = None) -> tuple[Tensor, Tensor]:
    """x: (N, D), idx: (N,), valid: (N,) bool or None -> counts (K,), sums (K, D) over the valid rows
    (index_add, no one-hot matrix). Masked rows add exact zeros (torch.where, so even a non-finite padded
    row contributes 0): the same sums as over x[valid], with shapes that do not depend on the data."""
    counts = code_counts(idx, k, valid).to(x.dtype)
    rows = x if valid is None else torch.where(valid[:, None], x, 0.0)
    sums = x.new_zeros(k, x.shape[1]).index_add_(0, idx, rows)
    return counts, sums


# signed 64-bit mixing constants (golden ratio, splitmix64's finaliser)
_GOLDEN, _MIX1, _MIX2 = -7046029254386353131, -4658895280553007687, -7723592293110705685
_KEY_BITS = (1 << 62) - 1  # valid rows get keys in [0, 2^62); masked rows sort after them


def row_keys(x: Tensor, offset: int, seed: int) -> Tensor:
    """x: (N, D) float32 -> (N,) int64 pseudo-random keys in [0, 2^62), a hash of each row's exact bits,
    its global index (offset + row) and the seed.

    Sorting rows by key is a random permutation that is deterministic under the seed and the data, is the
    same on every device and every rank, needs no generator (so compiles), and carries no state to resume.
    Integer products wrap modulo 2^64 and the row sum is modular: the key does not depend on summation order.
    The large constants only multiply data or XOR-ed values: inductor folds affine functions of an arange into
    index expressions, and (2 r + 1) * 2^62-sized constants overflow them at code generation.
    """
    n, d = x.shape
    bits = x.contiguous().view(torch.int32).long()  # (N, D) exact float bits
    col = torch.arange(d, device=x.device) * 2 + 1  # odd per-column weights
    index = (torch.arange(n, device=x.device) + offset) ^ _wrap64(int(seed) * _MIX2)
    h = (bits * col).sum(dim=1) * _MIX1 + index * _GOLDEN
    for shift, mult in ((30, _MIX1), (27, _MIX2)):  # splitmix64 finaliser (arithmetic shifts: still a mix)
        h = (h ^ (h >> shift)) * mult
    h = h ^ (h >> 31)
    return h & _KEY_BITS


def _wrap64(value: int) -> int:
    """A Python int -> the int64 it wraps to (two's complement)."""
    return (value + (1 << 63)) % (1 << 64) - (1 << 63)


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

    `ready` is a Python mirror of the `initted` buffer: False until k-means has run (or, after any
    load_state_dict, until the next training step has read the buffer). While it is False a training
    forward takes the eager k-means branch; once it is True, forward is compile-clean.
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
        self.ready = not kmeans_init
        # without k-means, start each code as if it had one vector so that the ratio equals `embed`
        self.register_buffer("cluster_size", torch.zeros(codebook_size) if kmeans_init else torch.ones(codebook_size))
        self.register_buffer("embed_sum", embed.clone())
        self.register_buffer("embed", embed)
        self.usage = CodeUsage(codebook_size, usage_window)
        self.seed = int(seed)
        self.generator = torch.Generator().manual_seed(self.seed)

    # The sampling generator's state travels with the weights (a uint8 tensor, safetensors-friendly),
    # so that a resumed run draws the same k-means samples as an uninterrupted one.
    def get_extra_state(self) -> Tensor:
        return self.generator.get_state()

    def set_extra_state(self, state: Tensor) -> None:
        self.generator.set_state(state.to("cpu", torch.uint8))

    def _load_from_state_dict(self, *args, **kwargs) -> None:
        # `initted` may have changed: the next training step re-reads it eagerly (reading it here would
        # fail on meta tensors and sync a GPU for every codebook)
        super()._load_from_state_dict(*args, **kwargs)
        self.ready = False

    # -------------------------------------------------------------- steps
    @torch.no_grad()
    def initialise(self, xs: Tensor) -> None:
        """Eager, once per run: k-means on xs (N, D) valid rows unless `initted`; sets `ready`."""
        if not bool(self.initted):
            self.init_from(xs)
        self.ready = bool(self.initted)

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
    def ema_update(self, x: Tensor, codes: Tensor, valid: Tensor | None = None) -> Tensor:
        """x: (N, D), codes: (N,) their codes, valid: (N,) bool rows that count -> (K,) global counts of
        this batch."""
        counts, sums = cluster_stats(x, codes, self.codebook_size, valid)
        stats = all_reduce_sum_(torch.cat([sums, counts[:, None]], dim=1))  # one collective
        sums, counts = stats[:, :-1], stats[:, -1]
        self.cluster_size.lerp_(counts, 1.0 - self.decay)
        self.embed_sum.lerp_(sums, 1.0 - self.decay)
        n = self.cluster_size.sum()
        smoothed = (self.cluster_size + self.epsilon) / (n + self.codebook_size * self.epsilon) * n
        self.embed.copy_(self.embed_sum / smoothed[:, None])
        return counts

    def candidates(self, x: Tensor, valid: Tensor | None) -> tuple[Tensor, Tensor]:
        """x: (N, D), valid: (N,) -> rows (M, D) in sampling order (valid rows first, by `row_keys`) and
        their (M,) validity; M = world * min(K, N).

        Each rank keeps its min(K, N) lowest keys, all ranks gather them and sort again. No replacement takes
        more than K rows, so the first rows are the ones a single process holding the whole batch would
        pick, given that ranks hold equal, contiguous shares of it (the global row index enters the key).
        """
        n = x.shape[0]
        keys = row_keys(x, _rank() * n, self.seed)
        if valid is not None:  # masked rows after every valid one, in index order
            keys = torch.where(valid, keys, _KEY_BITS + 1 + torch.arange(n, device=x.device))
        # topk of distinct keys (the index is in the hash; masked keys are distinct by construction), not
        # sort: inductor's CPU code for a stable sort inside this graph corrupted memory (torch 2.13)
        keys, order = keys.topk(min(self.codebook_size, n), largest=False, sorted=True)
        rows, keys = all_gather_cat(x[order]), all_gather_cat(keys)
        keys, order = keys.topk(keys.shape[0], largest=False, sorted=True)
        return rows[order], keys <= _KEY_BITS

    @torch.no_grad()
    def replace_dead(self, x: Tensor, valid: Tensor | None = None) -> Tensor:
        """Codes whose EMA size fell under threshold_ema_dead get valid vectors of this batch (all ranks),
        AND their statistics reset (size = threshold, sum = vector x size), so the replacement is
        what the EMA carries forward. Returns the (K,) bool mask of replaced codes.

        Tensor ops only (compile-clean): the j-th dead code takes the j-th candidate row (distinct rows
        while there are enough valid ones, cycling through them otherwise); with no valid row, none.
        """
        dead = self.cluster_size < self.threshold_ema_dead
        rows, ok = self.candidates(x, valid)
        n_ok = ok.sum()
        slot = (dead.long().cumsum(0) - 1).clamp(min=0).remainder(n_ok.clamp(min=1))  # (K,) row of each code
        samples = rows[slot]  # (K, D)
        replace = dead & (n_ok > 0)
        reset = max(self.threshold_ema_dead, 1.0)
        self.embed.copy_(torch.where(replace[:, None], samples, self.embed))
        self.cluster_size.copy_(torch.where(replace, reset, self.cluster_size))
        self.embed_sum.copy_(torch.where(replace[:, None], samples * reset, self.embed_sum))
        return replace

    # -------------------------------------------------------------- forward
    def forward(
        self, x: Tensor, valid: Tensor | None = None, update: bool = True
    ) -> tuple[Tensor, Tensor, dict[str, Tensor]]:
        """x: (N, D); valid: (N,) bool of rows allowed to update statistics. `update` only acts in
        training mode. Returns q (N, D) from the codebook before this step's update, codes (N,)."""
        update = update and self.training
        x = x.detach().float()
        if update and not self.ready:  # once per run, never inside a compiled graph (see class docstring)
            self.initialise(x if valid is None else x[valid])
        codes = nearest(x, self.embed)
        q = F.embedding(codes, self.embed)
        if not update:
            return q, codes, self.usage(code_counts(codes, self.codebook_size, valid), update=False)
        counts = self.ema_update(x, codes, valid)
        dead_before = (self.cluster_size < self.threshold_ema_dead).sum()
        replaced = self.replace_dead(x, valid) if self.threshold_ema_dead > 0 else torch.zeros(0)
        metrics = self.usage(counts, update=True)
        metrics["dead_codes"] = dead_before.float()
        metrics["replaced"] = replaced.sum().float()
        return q, codes, metrics


def find_ema_codebooks(module: nn.Module) -> dict[str, EMACodebook]:
    """All EMA codebooks inside `module`, by qualified name (for the trainer's logging/checks)."""
    return {name: m for name, m in module.named_modules() if isinstance(m, EMACodebook)}
