"""src/convert/common.py: weights_only loading, key checks, weight-norm split/fold."""

from __future__ import annotations

import pytest
import torch
from torch import nn
from torch.nn.utils.parametrizations import weight_norm

from src.convert.common import (
    KeyMismatchError,
    check_keys,
    fold_weight_norm,
    load_torch,
    split_weight_norm,
)


def test_load_torch_refuses_pickled_code(tmp_path):
    torch.save({"model": nn.Linear(2, 2)}, tmp_path / "code.pth")  # a pickled module (code), not a state dict
    with pytest.raises(ValueError, match="weights_only"):
        load_torch(tmp_path / "code.pth")
    with pytest.raises(FileNotFoundError, match="checkpoint="):
        load_torch(tmp_path / "absent.pth")


def test_check_keys_lists_every_problem():
    expected = {"a": torch.zeros(2), "b": torch.zeros(3), "c": torch.zeros(1)}
    state = {"a": torch.zeros(2), "b": torch.zeros(4), "x": torch.zeros(1), "y": torch.zeros(1)}
    with pytest.raises(KeyMismatchError) as err:
        check_keys(state, expected, "file.pth")
    text = str(err.value)
    assert text.startswith("file.pth") and "2 leftover" in text and "x" in text and "y" in text
    assert "1 missing" in text and "\n  c" in text and "b: (4,) vs expected (3,)" in text
    check_keys(expected, expected, "same")  # no error


@pytest.mark.parametrize("layer", [nn.Conv1d(3, 5, 4), nn.ConvTranspose1d(5, 3, 4, stride=2)])
def test_weight_norm_split_and_fold_round_trip(layer):
    """Plain weights -> (g, v) computes the same layer; folding the pair back gives the weights again."""
    normed = weight_norm(layer)
    plain = {"conv.weight": torch.randn_like(normed.weight), "conv.bias": torch.randn_like(normed.bias)}
    expected = {f"conv.{k}": v for k, v in normed.state_dict().items()}
    split = split_weight_norm(plain, expected)
    assert set(split) == set(expected)
    normed.load_state_dict({k[len("conv.") :]: v for k, v in split.items()})
    torch.testing.assert_close(normed.weight, plain["conv.weight"], rtol=0, atol=1e-6)
    folded = fold_weight_norm(split)
    torch.testing.assert_close(folded["conv.weight"], plain["conv.weight"], rtol=0, atol=1e-6)
    with pytest.raises(KeyMismatchError, match="missing"):
        fold_weight_norm({"conv.weight_g": split["conv.parametrizations.weight.original0"]})
