"""He init with zero biases (src/nn/init.py) on plain and weight-normed convs, and its effect on a deep stack."""

import math

import pytest
import torch
from torch import nn

from src.nn.conv import WNConv1d
from src.nn.init import check_init, kaiming_init_


@pytest.mark.parametrize("make", [lambda: nn.Conv1d(16, 64, 5), lambda: WNConv1d(16, 64, 5)])
def test_weights_have_he_scale_and_biases_are_zero(make):
    torch.manual_seed(0)
    conv = kaiming_init_(make())
    assert conv.weight.std().item() == pytest.approx(math.sqrt(2 / (16 * 5)), rel=0.1)
    assert torch.count_nonzero(conv.bias) == 0
    x = torch.randn(2, 16, 40)
    assert torch.allclose(conv(x), nn.functional.conv1d(x, conv.weight.detach()), atol=1e-5)


def test_lstm_biases_are_zeroed():
    lstm = kaiming_init_(nn.LSTM(8, 8, 2))
    biases = [p for n, p in lstm.named_parameters() if n.startswith("bias")]
    assert biases and all(torch.count_nonzero(b) == 0 for b in biases)


def frame_var(y: torch.Tensor) -> float:
    """Mean per-channel std over time / rms: ~0 for a constant output, ~1 for one that follows the input."""
    return (y.std(dim=-1).mean() / y.pow(2).mean().sqrt()).item()


def test_a_deep_relu_stack_keeps_its_scale_and_follows_the_input():
    """Default init shrinks a small input ~sqrt(3)x per layer under biases of fixed size; He init does not."""
    torch.manual_seed(0)
    stack = nn.Sequential(*[m for _ in range(8) for m in (nn.Conv1d(16, 16, 3, padding=1), nn.ReLU())])
    x = 0.05 * torch.randn(4, 16, 64)
    default_out = stack(x).detach()
    he_out = kaiming_init_(stack)(x).detach()
    assert frame_var(default_out) < 0.3 < frame_var(he_out)  # default: mostly a constant (bias) output
    assert 0.1 < he_out.pow(2).mean().sqrt().item() / 0.05 < 10


def test_unknown_init_is_refused_naming_the_key():
    with pytest.raises(ValueError, match="encoder.init='xavier'"):
        check_init("xavier", "encoder.init")
