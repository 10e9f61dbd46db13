"""Invariants every discrete quantizer option satisfies (built from its conf/quantizer yaml)."""

import itertools
import math

import pytest
import torch
from hydra.utils import instantiate
from omegaconf import OmegaConf

DISCRETE = ["rvq", "vq", "dac_rvq", "factorized_vq", "fsq"]
TINY = {"codebook_size": 16, "kmeans_iters": 2, "n_codebooks": 3, "codebook_dim": 4}


def build(name: str, repo_root, **extra):
    node = OmegaConf.load(repo_root / "conf" / "quantizer" / f"{name}.yaml")
    for key, val in {**TINY, **extra}.items():
        if key in node:
            node[key] = val
    cfg = OmegaConf.create({"latent_dim": 8, "quantizer": node})
    return instantiate(cfg.quantizer, _convert_="all")


def warm(q, z):
    """One training step so EMA codebooks are k-means initialised."""
    q.train()
    q(z)
    return q.eval()


@pytest.mark.parametrize("name", DISCRETE)
def test_decode_encode_equals_forward_in_eval(name, repo_root):
    q = build(name, repo_root)
    z = torch.randn(3, 8, 11)
    warm(q, z)
    out = q(z)
    codes = q.encode(z)
    assert torch.equal(codes, out.codes)
    assert torch.equal(q.decode(codes), out.z_q)


@pytest.mark.parametrize("name", DISCRETE)
def test_codes_shape_dtype_range(name, repo_root):
    q = build(name, repo_root)
    z = torch.randn(2, 8, 7)
    warm(q, z)
    codes = q.encode(z)
    assert codes.dtype == torch.int64 and codes.shape == (2, q.n_codebooks, 7)
    assert codes.min() >= 0 and codes.max() < q.codebook_size
    if q.n_codebooks > 1:
        assert q.encode(z, n_quantizers=2).shape == (2, 2, 7)
        assert q.decode(codes[:, :2]).shape == (2, q.output_dim, 7)


@pytest.mark.parametrize("name", DISCRETE)
def test_gradient_reaches_encoder_through_straight_through(name, repo_root):
    q = build(name, repo_root).train()
    z = torch.randn(2, 8, 9, requires_grad=True)
    out = q(z)
    out.z_q.pow(2).sum().backward()  # reconstruction-like loss only, no aux term
    assert z.grad is not None and z.grad.abs().sum() > 0
    assert set(out.aux_losses) == set(q.aux_loss_names)


@pytest.mark.parametrize("name", DISCRETE)
def test_nominal_bitrate(name, repo_root):
    q = build(name, repo_root)
    bits = q.n_codebooks * math.log2(q.codebook_size)
    assert q.bits_per_frame() == pytest.approx(bits)
    frame_rate = 16000 / 320
    assert frame_rate * q.bits_per_frame() == pytest.approx(frame_rate * bits)
    if q.n_codebooks > 1:
        assert q.bits_per_frame(1) == pytest.approx(math.log2(q.codebook_size))
    with pytest.raises(ValueError, match="n_quantizers"):
        q.bits_per_frame(q.n_codebooks + 1)


@pytest.mark.parametrize("name", DISCRETE)
def test_decode_rejects_bad_codes(name, repo_root):
    q = build(name, repo_root).eval()
    with pytest.raises(ValueError, match="range"):
        q.decode(torch.full((1, 1, 4), q.codebook_size, dtype=torch.long))
    with pytest.raises(ValueError, match="n_codebooks"):
        q.decode(torch.zeros(1, q.n_codebooks + 1, 4, dtype=torch.long))


def _toy_data(n: int = 8) -> torch.Tensor:
    g = torch.Generator().manual_seed(3)
    return torch.randn(n, 8, 16, generator=g) * torch.linspace(2.0, 0.2, 8)[None, :, None]


@pytest.mark.parametrize("name", ["rvq", "dac_rvq"])
def test_dropout_trained_error_decreases_with_k(name, repo_root):
    q = build(
        name,
        repo_root,
        n_codebooks=4,
        quantizer_dropout=0.5,
        codebook_dim=8 if name == "rvq" else 4,
    )
    params = list(q.parameters())
    opt = torch.optim.Adam(params, lr=1e-2) if params else None
    for _ in range(100 if params else 30):
        z = _toy_data()
        out = q.train()(z)
        if opt:
            loss = (out.z_q - z).pow(2).mean() + sum(out.aux_losses.values())
            opt.zero_grad()
            loss.backward()
            opt.step()
    q.eval()
    z = _toy_data(16)
    with torch.no_grad():
        codes = q.encode(z)
        errors = [float((q.decode(codes[:, :k]) - z).pow(2).mean()) for k in range(1, 5)]
    assert all(a > b for a, b in itertools.pairwise(errors)), errors
