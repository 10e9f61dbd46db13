import pytest
import torch

from src.head.waveform import WaveformHead
from tests.zoo_helpers import build, group_node, n_params, root_config


def test_shape_and_upsample():
    head = WaveformHead(in_dim=6, channels=2)
    assert head.upsample == 1
    assert head(torch.randn(3, 6, 50)).shape == (3, 2, 50)


def test_tanh_bounds_output():
    head = WaveformHead(in_dim=4, activation="snake", tanh=True)
    with torch.no_grad():
        head.conv.conv.parametrizations.weight.original0.fill_(100.0)
    y = head(10 * torch.randn(1, 4, 64))
    assert y.abs().max() < 1.0 + 1e-6
    assert y.abs().max() > 0.9  # the bound is reached, so tanh is really applied


@pytest.mark.parametrize(
    "activation,bias,expected",
    [
        ("elu", True, 7 * 32 + 1 + 1),  # EnCodec: conv weight + weight-norm gain + bias
        ("snake", True, 96 + 96 * 7 + 1 + 1),  # DAC: Snake alpha per channel
        ("snake_beta", False, 2 * 128 + 128 * 7 * 2 + 2),  # Oobleck stereo: alpha + beta, no bias
    ],
)
def test_param_counts(activation, bias, expected):
    in_dim = {"elu": 32, "snake": 96, "snake_beta": 128}[activation]
    channels = 2 if activation == "snake_beta" else 1
    assert n_params(WaveformHead(in_dim, channels, activation=activation, bias=bias)) == expected


def test_antialias_keeps_length():
    head = WaveformHead(in_dim=4, activation="snake_beta", antialias=True)
    assert head(torch.randn(1, 4, 33)).shape == (1, 1, 33)


def test_wrong_width_is_named():
    with pytest.raises(ValueError, match="head.in_dim"):
        WaveformHead(in_dim=4)(torch.randn(1, 5, 10))


def test_yaml_instantiates():
    cfg = root_config(channels=2, decoder={"out_dim": 16}, head=group_node("head", "waveform"))
    head = build(cfg, "head")
    assert head.in_dim == 16 and head.channels == 2
