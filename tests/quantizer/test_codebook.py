"""EMA codebook semantics: k-means init, EMA + Laplace smoothing, dead codes, masks, distributed sync."""

import importlib.util
import os
import socket
import subprocess
import sys

import pytest
import torch

from src.quantizer.codebook import EMACodebook, find_ema_codebooks, kmeans, nearest
from src.quantizer.rvq import ResidualVQ


def clustered(n_per: int, centers: torch.Tensor, noise: float = 0.01) -> torch.Tensor:
    x = centers.repeat_interleave(n_per, dim=0)
    return x + noise * torch.randn_like(x)


def test_nearest_matches_brute_force():
    x, e = torch.randn(50, 6), torch.randn(20, 6)
    brute = ((x[:, None] - e[None]) ** 2).sum(-1).argmin(1)
    assert torch.equal(nearest(x, e), brute)


def test_kmeans_converges_to_cluster_means():
    centers = torch.tensor([[5.0, 0.0], [-5.0, 0.0], [0.0, 5.0], [0.0, -5.0]])
    x = clustered(25, centers)
    means, counts = kmeans(x, 4, 10, torch.Generator().manual_seed(0))
    idx = nearest(x, means)
    assert counts.sum() == 100 and torch.equal(counts, torch.bincount(idx, minlength=4).float())
    for k in range(4):  # Lloyd fixed point: each used centroid is the mean of its members
        if counts[k] > 0:
            torch.testing.assert_close(means[k], x[idx == k].mean(0), atol=1e-5, rtol=0)
    start = x[torch.randperm(100, generator=torch.Generator().manual_seed(0))[:4]]
    err = lambda m: ((x - m[nearest(x, m)]) ** 2).sum()
    assert err(means) < err(start)


def test_kmeans_init_on_first_training_batch_only():
    centers = torch.tensor([[3.0, 3.0], [-3.0, -3.0]])
    cb = EMACodebook(2, 2, kmeans_iters=5, threshold_ema_dead=0).train()
    assert not bool(cb.initted)
    cb(clustered(20, centers))
    assert bool(cb.initted)
    assert sorted(cb.embed[:, 0].round().tolist()) == [-3.0, 3.0]
    before = cb.embed.clone()
    cb(clustered(20, centers) + 100.0)  # a second batch must not re-run k-means
    assert (cb.embed - before).abs().max() < 5.0


def test_ema_update_and_laplace_smoothing_formula():
    cb = EMACodebook(2, 3, decay=0.9, epsilon=0.1, kmeans_init=False, threshold_ema_dead=0).train()
    cb.embed.copy_(torch.tensor([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0]]))
    cb.embed_sum.copy_(cb.embed * 2)
    cb.cluster_size.fill_(2.0)
    x = torch.tensor([[1.0, 0.0], [9.0, 1.0], [11.0, -1.0]])  # -> codes 0, 1, 1
    cb(x)
    size = 0.9 * torch.tensor([2.0, 2.0, 2.0]) + 0.1 * torch.tensor([1.0, 2.0, 0.0])
    sums = 0.9 * torch.tensor([[0.0, 0.0], [20.0, 0.0], [0.0, 20.0]]) + 0.1 * torch.tensor(
        [[1.0, 0.0], [20.0, 0.0], [0.0, 0.0]]
    )
    n = size.sum()
    smoothed = (size + 0.1) / (n + 3 * 0.1) * n
    torch.testing.assert_close(cb.cluster_size, size)
    torch.testing.assert_close(cb.embed_sum, sums)
    torch.testing.assert_close(cb.embed, sums / smoothed[:, None])


def test_dead_code_replacement_survives_the_update():
    cb = EMACodebook(2, 4, decay=0.99, kmeans_init=False, threshold_ema_dead=1.0).train()
    cb.embed.copy_(torch.tensor([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [50.0, 50.0]]))
    cb.embed_sum.copy_(cb.embed * 5)
    cb.cluster_size.copy_(torch.tensor([5.0, 5.0, 5.0, 0.5]))  # code 3 is dead
    x = torch.tensor([[0.1, 0.0], [0.9, 0.1], [0.0, 0.8], [0.5, 0.5]])
    _, _, metrics = cb(x)
    assert metrics["replaced"] == 1 and metrics["dead_codes"] == 1
    row = cb.embed[3]
    assert any(torch.equal(row, v) for v in x), "dead code must become a vector of this batch"
    # statistics reset with it: the EMA ratio reproduces the replacement on the next update
    torch.testing.assert_close(cb.embed_sum[3] / cb.cluster_size[3], row)
    cb(torch.tensor([[0.1, 0.0], [0.9, 0.1], [0.0, 0.8]]))  # nothing assigned to code 3 now
    assert (cb.embed[3] - row).norm() < 0.1 * row.norm(), "replacement was overwritten by old stats"


def test_masked_rows_never_update_statistics():
    torch.manual_seed(0)
    x = torch.randn(30, 3)
    garbage = torch.full((10, 3), 1e3)
    a = EMACodebook(3, 8, kmeans_iters=3, seed=7).train()
    b = EMACodebook(3, 8, kmeans_iters=3, seed=7).train()
    a(x)
    valid = torch.cat([torch.ones(30, dtype=torch.bool), torch.zeros(10, dtype=torch.bool)])
    b(torch.cat([x, garbage]), valid)
    for buf in ("embed", "cluster_size", "embed_sum"):
        assert torch.equal(getattr(a, buf), getattr(b, buf)), buf


def test_eval_does_not_update_and_reports_usage():
    cb = EMACodebook(3, 8, kmeans_iters=2).train()
    cb(torch.randn(40, 3))
    state = {k: v.clone() for k, v in cb.state_dict().items()}
    cb.eval()
    _, codes, metrics = cb(torch.randn(40, 3))
    assert all(torch.equal(v, cb.state_dict()[k]) for k, v in state.items())
    assert 0 < float(metrics["utilization"]) <= 1 and 1 <= float(metrics["perplexity"]) <= 8
    assert codes.dtype == torch.int64


def test_find_ema_codebooks():
    q = ResidualVQ(4, n_codebooks=3, codebook_size=8)
    found = find_ema_codebooks(torch.nn.Sequential(q))
    assert len(found) == 3 and all(isinstance(c, EMACodebook) for c in found.values())


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _assert_two_ranks_match_one_process(tmp_path, repo_root, *worker_args: str, timeout: int) -> list[dict]:
    """Run dist_codebook_worker.py on 2 ranks (torchrun) with worker_args, then the same steps in this process
    on 1 rank: both ranks must hold identical states, equal to the single process's. -> the 2 ranks' states."""
    worker = repo_root / "tests" / "quantizer" / "dist_codebook_worker.py"
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--master_port", str(_free_port())]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(repo_root)}
    proc = subprocess.run(
        [*cmd, str(worker), str(tmp_path), *worker_args],
        cwd=repo_root,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    states = [torch.load(tmp_path / f"rank{r}.pt") for r in range(2)]
    spec = importlib.util.spec_from_file_location("dist_codebook_worker", worker)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    single = mod.run_steps(rank=0, world=1)
    assert float(single["replaced"]) > 0, "the scenario must include a dead-code replacement"
    for key, ref in single.items():
        assert torch.equal(states[0][key], states[1][key]), f"ranks differ on {key}"
        torch.testing.assert_close(states[0][key].float(), ref.float(), atol=1e-5, rtol=1e-5, msg=key)
    assert all(bool(v) for k, v in single.items() if k.endswith("initted"))
    return states


@pytest.mark.distributed
def test_two_processes_match_one_process(tmp_path, repo_root):
    states = _assert_two_ranks_match_one_process(tmp_path, repo_root, timeout=120)
    assert [(int(s["rank"]), int(s["world"])) for s in states] == [(0, 2), (1, 2)]


def test_sampling_generator_state_travels_in_state_dict():
    """A resumed run must draw the same k-means/dead-code samples: the generator state is in state_dict."""
    from src.quantizer.codebook import EMACodebook

    a, b = EMACodebook(dim=4, codebook_size=8, seed=1), EMACodebook(dim=4, codebook_size=8, seed=2)
    torch.randperm(10, generator=a.generator)  # advance a's stream
    b.load_state_dict(a.state_dict())
    assert torch.equal(torch.randperm(50, generator=a.generator), torch.randperm(50, generator=b.generator))


@pytest.mark.distributed
def test_two_compiled_processes_match_one_eager_process(tmp_path, repo_root):
    """Compiled (fullgraph) under torch.distributed: all_reduce and all_gather_single are traced as functional
    collectives; dead-code candidates gathered across ranks give the single-process replacements."""
    _assert_two_ranks_match_one_process(tmp_path, repo_root, "compile", timeout=180)
