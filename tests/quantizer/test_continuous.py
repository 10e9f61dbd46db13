"""Continuous bottlenecks (stable-audio-tools): vae, wasserstein, tanh, l2_norm, identity."""

import pytest
import torch
import torch.nn.functional as F

from src.quantizer.identity import Identity
from src.quantizer.l2_norm import L2Norm
from src.quantizer.tanh import Tanh
from src.quantizer.vae import VAE
from src.quantizer.wasserstein import Wasserstein, mean_kernel


def test_vae_kl_matches_closed_form_and_eval_is_mean():
    q = VAE(8, 4)
    z = torch.randn(2, 8, 5)
    mean, scale = z.chunk(2, dim=1)
    std = F.softplus(scale) + 1e-4
    kl = (mean**2 + std**2 - torch.log(std**2) - 1).sum(1).mean()
    out = q.train()(z)
    torch.testing.assert_close(out.aux_losses["kl"], kl)
    assert out.z_q.shape == (2, 4, 5) and not torch.equal(out.z_q, mean)
    assert torch.equal(q.eval()(z).z_q, mean)


def test_vae_kl_is_zero_at_the_prior_and_masks_frames():
    q = VAE(4, 2).train()
    prior_scale = torch.log(torch.expm1(torch.tensor(1.0 - 1e-4)))  # softplus^-1 so std = 1
    z = torch.cat([torch.zeros(1, 2, 6), prior_scale.expand(1, 2, 6)], dim=1)
    assert float(q(z).aux_losses["kl"]) == pytest.approx(0.0, abs=1e-5)
    mask = torch.ones(1, 6, dtype=torch.bool)
    mask[:, 3:] = False
    z_bad = z.clone()
    z_bad[:, :2, 3:] = 50.0
    assert float(q(z_bad, mask=mask).aux_losses["kl"]) == pytest.approx(0.0, abs=1e-5)


def test_vae_kl_weight_scales_the_loss_and_logs_the_raw_kl():
    z = torch.randn(2, 8, 5)
    torch.manual_seed(0)
    plain = VAE(8, 4).train()(z)
    torch.manual_seed(0)
    weighted = VAE(8, 4, kl_weight=1e-4).train()(z)
    torch.testing.assert_close(weighted.aux_losses["kl"], plain.aux_losses["kl"] * 1e-4)
    torch.testing.assert_close(weighted.metrics["vae/kl"], plain.aux_losses["kl"])
    with pytest.raises(ValueError, match="kl_weight"):
        VAE(8, 4, kl_weight=-1.0)


def test_vae_rejects_odd_input():
    with pytest.raises(ValueError, match="even"):
        VAE(7)


def test_mean_kernel_matches_pairwise_definition():
    x, y = torch.randn(5, 3), torch.randn(4, 3)
    ref = torch.exp(-(x[:, None] - y[None]).pow(2).mean(2) / 3).mean()
    torch.testing.assert_close(mean_kernel(x, y), ref)


def test_wasserstein_mmd_in_training_only_and_noise_channels():
    q = Wasserstein(4, 6, noise_augment_dim=2)
    z = torch.randn(2, 4, 50)
    out = q.train()(z)
    assert out.z_q.shape == (2, 6, 50) and torch.equal(out.z_q[:, :4], z)
    assert "mmd" in out.aux_losses
    far = q(z + 10.0).aux_losses["mmd"]
    assert far > out.aux_losses["mmd"]  # latents far from N(0, I) cost more
    assert q.eval()(z).aux_losses == {}
    with pytest.raises(ValueError, match="output_dim"):
        Wasserstein(4, 4, noise_augment_dim=2)


def test_simple_bottlenecks():
    z = torch.randn(2, 4, 5) * 3
    assert torch.equal(Identity(4)(z).z_q, z)
    assert Tanh(4)(z).z_q.abs().max() < 1
    torch.testing.assert_close(L2Norm(4)(z).z_q.norm(dim=1), torch.ones(2, 5))
    with pytest.raises(ValueError, match="continuous"):
        Identity(4)(z, n_quantizers=2)
