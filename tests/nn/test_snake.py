"""The snake autograd function: same values and gradients as the eager formula, and less saved memory."""

import pytest
import torch

from src.benchmarks.snake import saved_bytes
from src.nn.snake import Snake1d, SnakeBeta, snake
from src.nn.snake import snake_eager as eager_snake


def activation_bytes_saved(fn, *inputs) -> int:
    """Bytes of the activation-sized tensors (more than 64 elements) autograd keeps for backward."""
    return saved_bytes(lambda: fn(*inputs), min_numel=65)


def test_gradcheck_against_analytic_derivatives():
    x = torch.randn(2, 3, 7, dtype=torch.float64, requires_grad=True)
    alpha = (torch.rand(1, 3, 1, dtype=torch.float64) + 0.5).requires_grad_()
    inv_beta = (torch.rand(1, 3, 1, dtype=torch.float64) + 0.5).requires_grad_()
    assert torch.autograd.gradcheck(snake, (x, alpha, inv_beta))
    assert torch.autograd.gradgradcheck(eager_snake, (x, alpha, inv_beta))  # the reference is sound


@pytest.mark.parametrize("module", [Snake1d(4), SnakeBeta(4), SnakeBeta(4, logscale=False)], ids=str)
def test_modules_match_the_eager_formula_in_value_and_gradient(module):
    torch.manual_seed(0)
    with torch.no_grad():
        for p in module.parameters():
            p.uniform_(0.3, 1.5)
    x = torch.randn(2, 4, 50, requires_grad=True)
    y = module(x)
    if isinstance(module, Snake1d):
        alpha, inv_beta = module.alpha, (module.alpha + 1e-9).reciprocal()
    else:
        alpha, beta = (module.alpha.exp(), module.beta.exp()) if module.logscale else (module.alpha, module.beta)
        inv_beta = (beta + 1e-9).reciprocal()
    ref = eager_snake(x, alpha, inv_beta)
    assert torch.equal(y, ref)  # same ops in the same order: bit-identical forward
    grad = torch.randn_like(y)
    got = torch.autograd.grad(y, [x, *module.parameters()], grad)
    want = torch.autograd.grad(ref, [x, *module.parameters()], grad)
    for g, w in zip(got, want):
        torch.testing.assert_close(g, w, rtol=1e-5, atol=1e-5)


def test_only_gradients_that_are_needed_are_computed():
    x = torch.randn(1, 2, 5, requires_grad=True)
    alpha, inv_beta = torch.ones(1, 2, 1), torch.ones(1, 2, 1)
    (gx,) = torch.autograd.grad(snake(x, alpha, inv_beta).sum(), [x])
    torch.testing.assert_close(gx, 1 + torch.sin(2 * x))


def test_keeps_only_its_input_for_backward():
    x = torch.randn(2, 8, 4096, requires_grad=True)
    alpha = torch.ones(1, 8, 1, requires_grad=True)
    inv_beta = torch.ones(1, 8, 1, requires_grad=True)
    activation = x.numel() * x.element_size()
    assert activation_bytes_saved(snake, x, alpha, inv_beta) == activation
    assert activation_bytes_saved(eager_snake, x, alpha, inv_beta) >= 3 * activation
