"""conf/optim's `_partial_` optimizer configs: built through the allowlist, the same AdamW as before."""

import pytest
import torch
from omegaconf import OmegaConf

from src.build.optim import build_optimizer, build_scheduler
from src.compose import compose_train_config
from src.safe_instantiate import UnsafeTargetError


def _params():
    return [torch.nn.Parameter(torch.randn(3)), torch.nn.Parameter(torch.randn(2), requires_grad=False)]


def test_default_is_adamw_with_the_configured_values():
    cfg = compose_train_config(["optim.generator.lr=3e-4"])
    params = _params()
    opt = build_optimizer(params, cfg.optim.generator, "generator")
    assert type(opt) is torch.optim.AdamW
    group = opt.param_groups[0]
    assert group["params"] == params[:1]  # frozen parameters are left out
    assert (group["lr"], group["betas"], group["eps"], group["weight_decay"]) == (3e-4, (0.8, 0.99), 1e-8, 0.0)


def test_an_integer_rate_and_a_node_without_target_give_the_same_adamw():
    old = OmegaConf.create({"lr": 1, "betas": [0.8, 0.99]})  # a config written before conf/optim had targets
    opt = build_optimizer(_params(), old, "generator")
    assert type(opt) is torch.optim.AdamW and opt.param_groups[0]["lr"] == 1.0
    assert isinstance(opt.param_groups[0]["lr"], float)


def test_any_torch_optim_class_and_refusal_of_other_targets():
    node = OmegaConf.create({"_target_": "torch.optim.SGD", "_partial_": True, "lr": 0.1, "momentum": 0.9})
    assert type(build_optimizer(_params(), node, "generator")) is torch.optim.SGD
    bad = OmegaConf.create({"_target_": "os.system", "_partial_": True, "lr": 0.1})
    with pytest.raises(UnsafeTargetError, match="optim.generator"):
        build_optimizer(_params(), bad, "generator")
    with pytest.raises(ValueError, match="optim.discriminator: the model has no trainable parameters"):
        build_optimizer([], node, "discriminator")


def test_scheduler_follows_optim_scheduler():
    cfg = compose_train_config(["optim.scheduler.warmup_steps=4", "optim.scheduler.name=constant"])
    opt = build_optimizer(_params(), cfg.optim.generator, "generator")
    sched = build_scheduler(opt, cfg.optim.scheduler, max_steps=10)
    lrs = []
    for _ in range(5):
        lrs.append(sched.get_last_lr()[0])
        opt.step()
        sched.step()
    assert lrs == pytest.approx([1e-4 * f for f in (0.25, 0.5, 0.75, 1.0, 1.0)])
