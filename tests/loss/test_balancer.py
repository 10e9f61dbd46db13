"""EnCodec's gradient balancer: weights become gradient fractions, whatever the terms' scales."""

import pytest
import torch

from src.loss.balancer import Balancer


def _grad_of(surrogate_fn, wav_hat):
    wav_hat.grad = None
    surrogate_fn().backward()
    return wav_hat.grad.clone()


def test_balanced_gradient_has_the_weighted_fractions_and_total_norm():
    torch.manual_seed(0)
    wav_hat = torch.randn(1, 1, 64, requires_grad=True)
    a, b = torch.randn(1, 1, 64), torch.randn(1, 1, 64)
    terms = lambda: {"big": 1e4 * (wav_hat - a).pow(2).mean(), "small": 1e-4 * (wav_hat - b).abs().mean()}
    bal = Balancer(total_norm=2.0, ema_decay=0.0)
    total = _grad_of(lambda: bal(terms(), wav_hat, {"big": 3.0, "small": 1.0}), wav_hat)
    only_big = _grad_of(lambda: bal({"big": terms()["big"]}, wav_hat, {"big": 1.0}), wav_hat)
    only_small = _grad_of(lambda: bal({"small": terms()["small"]}, wav_hat, {"small": 1.0}), wav_hat)
    assert only_big.norm().item() == pytest.approx(2.0, rel=1e-4)  # one term -> exactly total_norm
    assert only_small.norm().item() == pytest.approx(2.0, rel=1e-4)
    assert torch.allclose(total, 0.75 * only_big + 0.25 * only_small, atol=1e-5)


def test_ema_of_norms_and_state_round_trip():
    wav_hat = torch.ones(2, 1, 8, requires_grad=True)
    bal = Balancer(ema_decay=0.5)
    bal({"l": wav_hat.sum()}, wav_hat, {"l": 1.0})
    bal({"l": 3 * wav_hat.sum()}, wav_hat, {"l": 1.0})
    # bias-corrected EMA of per-item norms sqrt(8) and 3 sqrt(8): (0.5 * 1 + 3) / (0.5 + 1)
    assert bal.last_norms["l"] == pytest.approx(8**0.5 * 3.5 / 1.5)
    other = Balancer(ema_decay=0.5)
    other.load_state_dict(bal.state_dict())
    assert other._ema == bal._ema


def test_missing_weight_is_an_error():
    wav_hat = torch.ones(1, 1, 4, requires_grad=True)
    with pytest.raises(KeyError, match="loss.weights"):
        Balancer()({"mel": wav_hat.sum()}, wav_hat, {})
