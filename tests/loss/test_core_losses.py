"""Invariants of the core losses: zero on identical inputs, gradients, weight validation."""

import pytest
import torch

from src.loss.adversarial import AdversarialLoss
from src.loss.spectral import MultiScaleMelLoss
from src.loss.weighted import LossWeights, flatten_weights
from src.types import DiscriminatorOutput


def test_mel_loss_zero_on_identical_and_positive_otherwise():
    loss = MultiScaleMelLoss(16000)
    x = torch.randn(2, 1, 4000)
    assert loss(x, x).item() == pytest.approx(0.0, abs=1e-7)
    y = x + 0.1 * torch.randn_like(x)
    assert loss(y, x).item() > 0.01


def test_mel_loss_gradient_reaches_input():
    loss = MultiScaleMelLoss(16000, window_lengths=(64, 256), n_mels=(10, 40))
    x = torch.randn(1, 1, 2000)
    y = torch.randn(1, 1, 2000, requires_grad=True)
    loss(y, x).backward()
    assert y.grad is not None and y.grad.abs().sum() > 0


def _out(values):
    return DiscriminatorOutput(logits=[v for v in values], fmaps=[[v * 2, v * 3] for v in values])


@pytest.mark.parametrize("kind", ["lsgan", "hinge"])
def test_adversarial_real_one_fake_zero(kind):
    adv = AdversarialLoss(kind=kind)
    ones, minus = [torch.ones(2, 5)] * 2, [-torch.ones(2, 5)] * 2
    real, fake = _out(ones), _out(minus if kind == "hinge" else [torch.zeros(2, 5)] * 2)
    assert adv.discriminator_loss([real], [fake]).item() == pytest.approx(0.0)
    gen = adv.generator_loss([real], [real])
    assert gen["adv/gen"].item() == pytest.approx(0.0)
    assert gen["adv/feat"].item() == pytest.approx(0.0)


def test_feature_matching_detaches_real():
    adv = AdversarialLoss()
    r = torch.randn(2, 4, requires_grad=True)
    f = torch.randn(2, 4, requires_grad=True)
    adv.generator_loss([_out([r])], [_out([f])])["adv/feat"].backward()
    assert r.grad is None and f.grad is not None


def test_weights_flatten_and_validate():
    assert flatten_weights({"adv": {"gen": 1, "feat": 2}, "mel": 15}) == {"adv/gen": 1.0, "adv/feat": 2.0, "mel": 15.0}
    w = LossWeights({"mel": 2.0, "adv": {"gen": 1.0}}, ["mel", "adv/gen"], ["vq/commitment"])
    total = w.combine({"mel": torch.tensor(1.0), "adv/gen": torch.tensor(3.0), "vq/commitment": torch.tensor(0.5)})
    assert total.item() == pytest.approx(2.0 + 3.0 + 0.5)
    with pytest.raises(KeyError, match="kl"):
        LossWeights({"mel": 1.0, "kl": 1.0}, ["mel"], ["vq/commitment"])
    with pytest.raises(KeyError, match="mel"):
        LossWeights({}, ["mel"])
    with pytest.raises(KeyError, match="declared"):
        w.combine({"mmd": torch.tensor(1.0)})
