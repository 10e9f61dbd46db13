"""TrainState: one declared list of what a checkpoint holds; save and resume derive from it."""

import pytest
import torch
from torch import nn

from src.training.ema import ModelEMA
from src.training.state import COUNTERS, OBJECT_SLOTS, WEIGHT_SLOTS, TrainState


def _state(discs: bool = True, ema: bool = False) -> TrainState:
    torch.manual_seed(0)
    codec = nn.Linear(3, 2)
    d = nn.ModuleDict({"mpd": nn.Linear(2, 1)} if discs else {})
    opt_g = torch.optim.AdamW(codec.parameters(), lr=1e-3)
    opt_d = torch.optim.AdamW(d.parameters(), lr=1e-3) if discs else None
    return TrainState(
        codec=codec,
        discriminators=d,
        opt_g=opt_g,
        sched_g=torch.optim.lr_scheduler.LambdaLR(opt_g, lambda s: 0.5**s),
        opt_d=opt_d,
        sched_d=torch.optim.lr_scheduler.LambdaLR(opt_d, lambda s: 1.0) if discs else None,
        ema=ModelEMA(nn.Linear(3, 2), codec, 0.9) if ema else None,
    )


def _train(state: TrainState) -> None:
    state.codec(torch.randn(4, 3)).sum().backward()
    state.opt_g.step()
    state.sched_g.step()
    if state.ema is not None:
        state.ema.update(state.codec)
    state.step, state.epoch, state.nonfinite_total = 5, 1, 2


def test_round_trip_restores_every_declared_part():
    a = _state(ema=True)
    _train(a)
    weights, objects, counters = a.checkpoint(world_size=1)
    assert set(weights) == {"codec", "discriminators", "codec_ema"}
    assert set(objects) == {"opt_g", "sched_g", "opt_d", "sched_d"}  # no scaler, no balancer in this run
    assert list(counters) == [*COUNTERS, "ema_updates", "world_size"] and counters["ema_updates"] == 1
    b = _state(ema=True)
    b.restore({"weights": weights, "objects": objects, "state": counters})
    assert all(torch.equal(v, b.codec.state_dict()[k]) for k, v in a.codec.state_dict().items())
    assert all(torch.equal(v, b.ema.shadow.state_dict()[k]) for k, v in a.ema.shadow.state_dict().items())
    assert b.opt_g.state_dict()["state"].keys() == a.opt_g.state_dict()["state"].keys()
    assert (b.step, b.epoch, b.nonfinite_total, b.ema.updates) == (5, 1, 2, 1)
    assert b.sched_g.get_last_lr() == a.sched_g.get_last_lr()


def test_absent_parts_are_neither_saved_nor_required():
    a = _state(discs=False)
    weights, objects, _ = a.checkpoint(world_size=1)
    assert set(weights) == {"codec"} and set(objects) == {"opt_g", "sched_g"}
    assert {s.key for s in WEIGHT_SLOTS} >= set(weights) and {s.key for s in OBJECT_SLOTS} >= set(objects)


def test_ema_switched_on_at_resume_starts_from_the_codec_and_missing_parts_are_named():
    a = _state()
    _train(a)
    weights, objects, counters = a.checkpoint(world_size=1)
    b = _state(ema=True)
    b.restore({"weights": weights, "objects": objects, "state": counters})
    assert torch.equal(b.ema.shadow.weight, a.codec.weight)
    no_discs = _state(discs=False)
    _train(no_discs)
    w, o, c = no_discs.checkpoint(world_size=1)
    with pytest.raises(KeyError, match="no `discriminators`"):
        _state().restore({"weights": w, "objects": o, "state": c})
