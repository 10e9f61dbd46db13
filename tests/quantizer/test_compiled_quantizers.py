"""Each discrete quantizer compiles as one graph (fullgraph=True) that is not recompiled after warm-up, and
gives exactly the eager module's outputs, gradients and codebook state, dead-code replacement included.

Backend "eager": graph breaks and recompilations are Dynamo properties, and the traced graph runs the same
kernels as eager mode, so outputs can be compared bit for bit.
"""

from __future__ import annotations

import pytest
import torch
import torch._dynamo

from src.quantizer.dac_rvq import DACResidualVQ
from src.quantizer.factorized_vq import FactorizedVQ
from src.quantizer.fsq import FSQ
from src.quantizer.rvq import ResidualVQ
from src.quantizer.vq import VectorQuantizer
from src.training.compile import dynamo_counts

D, B, FRAMES = 8, 4, 16
EMA = {"threshold_ema_dead": 2.0, "kmeans_iters": 2}

QUANTIZERS = {
    # first training step eager (k-means), then compiled
    "rvq": lambda: ResidualVQ(D, n_codebooks=2, codebook_size=32, quantizer_dropout=0.5, skip_rvq_ratio=0.25, **EMA),
    # no k-means: compiled from the first call
    "rvq_random_init": lambda: ResidualVQ(D, n_codebooks=2, codebook_size=32, codebook_dim=4, kmeans_init=False, **EMA),
    "vq": lambda: VectorQuantizer(D, codebook_size=32, **EMA),
    "dac_rvq": lambda: DACResidualVQ(D, n_codebooks=2, codebook_size=32, codebook_dim=4, quantizer_dropout=0.5),
    "factorized_vq": lambda: FactorizedVQ(D, codebook_size=32, codebook_dim=4),
    "fsq": lambda: FSQ(D, levels=[5, 4, 3]),
}


def _batch(step: int) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(step)
    z = torch.randn(B, D, FRAMES, generator=g)
    mask = torch.ones(B, FRAMES, dtype=torch.bool)
    mask[1, 10:] = False  # padded frames: never in statistics nor losses
    z[1, :, 10:] = 1e3
    return z, mask


def _forward(q: torch.nn.Module, step: int, train: bool) -> tuple[dict[str, torch.Tensor], torch.Tensor]:
    """One forward (+ backward in training) under a fixed global seed (quantizer dropout, skip) ->
    every output tensor by name, and the gradient on z."""
    z, mask = _batch(step)
    z.requires_grad_(train)
    q.train(train)
    torch.manual_seed(100 + step)
    out = q(z, mask=mask if train else None)
    if train:
        (out.z_q.square().mean() + sum(out.aux_losses.values())).backward()
    tensors = {"z_q": out.z_q.detach(), "codes": out.codes, **out.aux_losses, **out.metrics}
    return {k: v.detach() for k, v in tensors.items()}, z.grad


def _assert_same(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor], what: str) -> None:
    assert a.keys() == b.keys(), what
    for key, value in a.items():
        torch.testing.assert_close(value, b[key], rtol=0, atol=0, msg=f"{what}: {key}")


@pytest.mark.parametrize("name", list(QUANTIZERS))
def test_quantizer_compiles_whole_without_recompiling_and_matches_eager(name):
    torch._dynamo.reset()
    torch._dynamo.utils.counters.clear()
    torch.manual_seed(0)
    eager = QUANTIZERS[name]()
    torch.manual_seed(0)
    compiled = QUANTIZERS[name]()
    compiled.compile(backend="eager", fullgraph=True)  # any graph break raises

    replaced, graphs = 0.0, []
    for step in range(3):
        out_e, grad_e = _forward(eager, step, train=True)
        out_c, grad_c = _forward(compiled, step, train=True)
        _assert_same(out_e, out_c, f"training step {step}")
        torch.testing.assert_close(grad_e, grad_c, rtol=0, atol=0, msg=f"training step {step}: grad")
        _assert_same(eager.state_dict(), compiled.state_dict(), f"state after step {step}")
        if step > 0:  # compiled steps (with k-means, step 0 runs eagerly)
            replaced += sum(float(v) for k, v in out_c.items() if k.startswith("vq/replaced"))
        graphs.append(dynamo_counts()["graphs"])
    for step in (3, 4):
        with torch.no_grad():
            out_e, _ = _forward(eager, step, train=False)
            out_c, _ = _forward(compiled, step, train=False)
        _assert_same(out_e, out_c, f"eval step {step}")
        graphs.append(dynamo_counts()["graphs"])

    assert dynamo_counts()["graph_breaks"] == 0
    assert graphs[-1] == 2, f"{name}: one training graph and one eval graph; graphs after each call: {graphs}"
    assert graphs[2] == graphs[1] == 1 and graphs[4] == graphs[3], f"{name}: recompiled; graphs: {graphs}"
    if isinstance(eager, ResidualVQ):
        assert replaced > 0, "the scenario must replace dead codes in a compiled step"


@pytest.mark.slow
def test_inductor_compiles_the_ema_rvq_and_stays_close_to_eager():
    """Inductor (the default backend): dead-code replacement with two codebooks and a mask. With cross-stage
    fusion, torch 2.13's CPU code wrote out of bounds here (EagerWarmup.compile turns fusion off for the
    quantizer). Inductor rounds fused float arithmetic differently and draws its own random numbers, and a
    replacement row is chosen by a hash of exact bits, so only the first codebook of the first compiled step
    (whose input is the same) is compared with eager; every step must stay finite."""
    torch._dynamo.reset()

    def make():
        torch.manual_seed(0)
        return ResidualVQ(D, n_codebooks=2, codebook_size=32, quantizer_dropout=0.0, **EMA)

    eager, compiled = make(), make()
    compiled.compile(fullgraph=True)
    for step in range(4):
        out_e, _ = _forward(eager, step, train=True)
        out_c, grad_c = _forward(compiled, step, train=True)
        if step <= 1:  # step 0 eager (k-means), step 1 the first compiled one
            assert torch.equal(out_e["codes"][:, 0], out_c["codes"][:, 0]), step
            assert out_e["vq/replaced/0"] == out_c["vq/replaced/0"] > 0
            first = eager.layers[0].codebook.state_dict(), compiled.layers[0].codebook.state_dict()
            for key in ("cluster_size", "embed_sum", "embed"):
                torch.testing.assert_close(first[0][key], first[1][key], rtol=1e-5, atol=1e-5, msg=f"{step}: {key}")
        assert all(torch.isfinite(v).all() for v in out_c.values()) and torch.isfinite(grad_c).all()
