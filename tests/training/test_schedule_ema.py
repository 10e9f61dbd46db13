"""LR schedules and the weight EMA."""

import math

import pytest
import torch
from torch import nn

from src.training.ema import ModelEMA
from src.training.schedule import LRFactor


def test_warmup_then_exponential_cosine_constant():
    exp = LRFactor("exponential", warmup_steps=4, gamma=0.5)
    assert [exp(s) for s in range(6)] == [0.25, 0.5, 0.75, 1.0, 1.0, 0.5]
    cos = LRFactor("cosine", warmup_steps=0, min_lr_ratio=0.1, max_steps=10)
    assert cos(0) == pytest.approx(1.0) and cos(5) == pytest.approx(0.55) and cos(10) == pytest.approx(0.1)
    assert LRFactor("constant", warmup_steps=2)(100) == 1.0
    with pytest.raises(ValueError, match="optim.scheduler.name"):
        LRFactor("linear")


def test_ema_average_and_buffers():
    model = nn.BatchNorm1d(2)
    ema = ModelEMA(nn.BatchNorm1d(2), model, decay=0.5)
    with torch.no_grad():
        model.weight.fill_(3.0)
        model.running_mean.fill_(7.0)
    ema.update(model)  # first decay = min(0.5, 1/10) = 0.1
    assert torch.allclose(ema.shadow.weight, torch.full((2,), 0.1 * 1 + 0.9 * 3))
    assert torch.equal(ema.shadow.running_mean, model.running_mean)
    assert not any(p.requires_grad for p in ema.shadow.parameters())
    assert math.isclose(ema.current_decay(), 2 / 11)
