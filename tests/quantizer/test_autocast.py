"""Every quantizer runs in float32 under bf16 autocast: same codes and z_q as without autocast.

Under torch.autocast the distance matmuls and projections would otherwise run in bfloat16 (8 bits of
mantissa), which picks other codes near the decision boundaries (FSQ was reported to use half its codes).
"""

from __future__ import annotations

import pytest
import torch

from src.quantizer.codebook import EMACodebook, nearest
from src.quantizer.dac_rvq import DACResidualVQ
from src.quantizer.factorized_vq import FactorizedVQ
from src.quantizer.fsq import FSQ
from src.quantizer.rvq import ResidualVQ
from src.quantizer.vae import VAE
from src.quantizer.vq import VectorQuantizer

D = 16


def _quantizers() -> dict[str, torch.nn.Module]:
    return {
        "rvq": ResidualVQ(D, n_codebooks=3, codebook_size=64, codebook_dim=8, kmeans_iters=3),
        "vq": VectorQuantizer(D, codebook_size=64, kmeans_iters=3),
        "dac_rvq": DACResidualVQ(D, n_codebooks=3, codebook_size=64, codebook_dim=4, quantizer_dropout=0.0),
        "factorized_vq": FactorizedVQ(D, codebook_size=64, codebook_dim=4),
        "fsq": FSQ(D, levels=[8, 5, 5, 5]),
        "vae": VAE(D),
    }


def _autocast():
    return torch.autocast("cpu", dtype=torch.bfloat16)


@pytest.mark.parametrize("name", list(_quantizers()))
def test_forward_and_codes_match_fp32_under_bf16_autocast(name):
    torch.manual_seed(0)
    q = _quantizers()[name]
    z = torch.randn(4, D, 50)
    q.train()
    q(z)  # k-means init / statistics from one batch, so the codebooks are data-shaped
    q.eval()
    ref = q(z)
    with _autocast():
        out = q(z)
    assert out.z_q.dtype == torch.float32
    assert torch.equal(out.z_q, ref.z_q)
    if getattr(q, "is_discrete", False):
        assert torch.equal(out.codes, ref.codes)
        with _autocast():
            codes = q.encode(z)
            z_q = q.decode(codes)
        assert torch.equal(codes, q.encode(z))
        assert torch.equal(z_q, q.decode(codes))


def test_ema_training_step_matches_fp32_under_bf16_autocast():
    """The EMA statistics and dead-code replacement of a training step do not depend on autocast."""
    torch.manual_seed(0)
    a = ResidualVQ(D, n_codebooks=2, codebook_size=32, kmeans_iters=3)
    b = ResidualVQ(D, n_codebooks=2, codebook_size=32, kmeans_iters=3)
    b.load_state_dict(a.state_dict())
    for _ in range(3):
        z = torch.randn(4, D, 40)
        out_a = a(z)
        with _autocast():
            out_b = b(z)
        assert torch.equal(out_a.codes, out_b.codes)
    for key, value in a.state_dict().items():
        assert torch.equal(value, b.state_dict()[key]), key


def test_nearest_distances_in_fp32_under_autocast():
    """The codebook's argmin over distances gives the fp32 codes even when called inside autocast."""
    torch.manual_seed(0)
    cb = EMACodebook(8, 256, kmeans_iters=3)
    x = torch.randn(2000, 8)
    cb(x)
    ref = nearest(x, cb.embed)
    with _autocast():
        codes = nearest(x, cb.embed)
        _, codes_fwd, _ = cb.eval()(x)
    assert torch.equal(codes, ref)
    assert torch.equal(codes_fwd, ref)
