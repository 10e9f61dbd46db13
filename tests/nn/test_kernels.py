"""Fused kernels (src/nn/kernels.py): the compiled Snake computes what the eager one does (values and all three
gradients), shares one graph across channel counts and lengths, and falls back to eager when compilation fails."""

from __future__ import annotations

import warnings

import pytest
import torch
import torch._dynamo
from torch import nn

from src.nn import kernels
from src.nn.kernels import call_fused, has_fused_kernels, set_fused_kernels
from src.nn.snake import Snake1d, SnakeBeta, snake_eager


def _values_and_grads(layer: nn.Module, x: torch.Tensor) -> list[torch.Tensor]:
    x = x.detach().requires_grad_()
    y = layer(x)
    grads = torch.autograd.grad((y * torch.linspace(-1, 1, y.shape[-1])).sum(), [x, *layer.parameters()])
    return [y.detach(), *grads]


@pytest.mark.parametrize("cls", [Snake1d, SnakeBeta])
def test_inductor_snake_matches_eager_values_and_gradients(cls):
    torch.manual_seed(0)
    layer = cls(6)
    with torch.no_grad():
        for p in layer.parameters():
            p.uniform_(0.2, 1.5)
    x = torch.randn(3, 6, 50)
    eager = _values_and_grads(layer, x)
    assert set_fused_kernels(layer, "inductor") == 1
    fused = _values_and_grads(layer, x)
    for a, b in zip(eager, fused):
        torch.testing.assert_close(b, a, rtol=1e-5, atol=1e-5)


def test_one_graph_serves_every_channel_count_and_length():
    """Dynamic shapes and unspecialised parameters: new widths and lengths after the first two calls (the
    first call traces with static shapes, the second marks them dynamic) do not recompile."""
    torch._dynamo.reset()
    torch._dynamo.utils.counters.clear()
    model = nn.Sequential(Snake1d(4), nn.Conv1d(4, 8, 1), Snake1d(8), nn.Conv1d(8, 16, 1), Snake1d(16))
    assert set_fused_kernels(model, "aot_eager") == 3 and has_fused_kernels(model)
    model(torch.randn(2, 4, 30)).sum().backward()
    model(torch.randn(2, 4, 31)).sum().backward()
    warm = torch._dynamo.utils.counters["stats"]["unique_graphs"]
    for length in (17, 64, 101):
        model(torch.randn(3, 4, length)).sum().backward()
    assert torch._dynamo.utils.counters["stats"]["unique_graphs"] == warm <= 3


def test_eager_when_switched_off_or_inside_a_traced_region():
    layer = Snake1d(2)
    assert not has_fused_kernels(nn.Conv1d(1, 1, 1))
    set_fused_kernels(layer, "aot_eager")
    set_fused_kernels(layer, None)
    assert layer.fused_backend is None
    x = torch.randn(1, 2, 8)
    torch.testing.assert_close(layer(x), snake_eager(x, layer.alpha, (layer.alpha + 1e-9).reciprocal()))


def test_a_kernel_that_fails_to_compile_warns_once_and_falls_back(monkeypatch):
    def broken_backend(graph, example_inputs):
        raise RuntimeError("no C++ compiler here")

    monkeypatch.setattr(kernels, "_FAILED", set())
    x, alpha, inv_beta = torch.randn(2, 3, 10), torch.rand(1, 3, 1) + 0.5, torch.rand(1, 3, 1) + 0.5
    expected = snake_eager(x, alpha, inv_beta)
    with pytest.warns(RuntimeWarning, match="could not be compiled.*no C\\+\\+ compiler"):
        out = call_fused("snake_broken_test", snake_eager, snake_eager, broken_backend, x, alpha, inv_beta)
    torch.testing.assert_close(out, expected)
    with warnings.catch_warnings():  # second call: straight to eager, no second warning
        warnings.simplefilter("error")
        call_fused("snake_broken_test", snake_eager, snake_eager, broken_backend, x, alpha, inv_beta)
