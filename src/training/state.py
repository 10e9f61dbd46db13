"""TrainState: everything a checkpoint holds, declared once (the slots below); save and resume both
derive from it (DAC's State, audiocraft's stateful registry).

On disk (src/training/checkpoint.py): WEIGHT_SLOTS -> <key>.safetensors, OBJECT_SLOTS -> optim.pt,
COUNTERS + ema_updates + world_size -> state.json, RNG states -> rng_rank<r>.pt.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from torch import nn

from src.training.ema import ModelEMA


@dataclass(frozen=True)
class Slot:
    field: str  # the TrainState attribute
    key: str  # its name in the checkpoint
    fallback: str | None = None  # on resume, the key read when `key` is absent (None: required)


WEIGHT_SLOTS = (
    Slot("codec", "codec"),
    Slot("discriminators", "discriminators"),
    Slot("ema", "codec_ema", fallback="codec"),
)  # EMA switched on at resume: starts from the codec
OBJECT_SLOTS = (
    Slot("opt_g", "opt_g"),
    Slot("sched_g", "sched_g"),
    Slot("opt_d", "opt_d"),
    Slot("sched_d", "sched_d"),
    Slot("scaler", "scaler", fallback=""),
    Slot("balancer", "balancer", fallback=""),
)  # "": optional, kept as built when absent
COUNTERS = ("step", "epoch", "batch_in_epoch", "nonfinite_run", "nonfinite_total")


@dataclass
class TrainState:
    """The objects that change while training, and the counters. An absent part (no discriminators, no
    EMA, no grad scaler) is None (an empty ModuleDict for discriminators) and is neither saved nor read."""

    codec: nn.Module  # the unwrapped codec (not the DDP wrapper)
    discriminators: nn.ModuleDict
    opt_g: object
    sched_g: object
    opt_d: object | None = None
    sched_d: object | None = None
    ema: ModelEMA | None = None
    scaler: object | None = None  # Accelerate's GradScaler under fp16
    balancer: nn.Module | None = None
    step: int = 0  # optimizer steps done
    epoch: int = 0
    batch_in_epoch: int = 0  # batches of `epoch` already consumed (the sampler resumes after them)
    nonfinite_run: int = 0  # consecutive skipped steps
    nonfinite_total: int = 0
    last_validation: dict = field(default_factory=dict)  # not checkpointed: the next validation rewrites it

    def _stateful(self, slot: Slot):
        """The object whose state_dict the slot holds, or None when this run has no such part."""
        value = getattr(self, slot.field)
        if slot.field == "ema":
            return value.shadow if value is not None else None
        if isinstance(value, nn.ModuleDict) and len(value) == 0:
            return None
        return value

    def checkpoint(self, world_size: int) -> tuple[dict, dict, dict]:
        """-> (weights {key: state_dict}, objects {key: state_dict}, state.json content)."""
        weights = {s.key: obj.state_dict() for s in WEIGHT_SLOTS if (obj := self._stateful(s)) is not None}
        objects = {s.key: obj.state_dict() for s in OBJECT_SLOTS if (obj := self._stateful(s)) is not None}
        state = {name: getattr(self, name) for name in COUNTERS}
        state.update(ema_updates=self.ema.updates if self.ema is not None else 0, world_size=world_size)
        return weights, objects, state

    def restore(self, ckpt: dict) -> None:
        """ckpt: src.training.checkpoint.read_checkpoint's {"weights", "objects", "state"} (RNG apart)."""
        for slots, saved in ((WEIGHT_SLOTS, ckpt["weights"]), (OBJECT_SLOTS, ckpt["objects"])):
            for slot in slots:
                obj = self._stateful(slot)
                if obj is None:
                    continue
                key = slot.key if slot.key in saved or slot.fallback is None else slot.fallback
                if key == "":
                    continue
                if key not in saved:
                    raise KeyError(
                        f"the checkpoint holds no `{slot.key}` but this run has {slot.field}: resume "
                        "with the configuration that wrote it (same discriminators, same optimizers)"
                    )
                obj.load_state_dict(saved[key])
        state = ckpt["state"]
        for name in COUNTERS:
            setattr(self, name, state[name])
        if self.ema is not None:
            self.ema.updates = state["ema_updates"]
