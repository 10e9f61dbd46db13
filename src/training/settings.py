"""What the Trainer is given: its settings (a typed copy of conf/trainer) and the built objects.

src/build/trainer.py fills both from the composed config; the Trainer never reads a DictConfig.
"""

from __future__ import annotations

from dataclasses import dataclass

from torch import nn


@dataclass(frozen=True)
class TrainerSettings:
    """conf/trainer (and the run's seed) as plain values; see conf/trainer/default.yaml for each meaning."""

    seed: int = 0
    max_steps: int = 1
    max_seconds: float | None = None  # trainer.max_minutes * 60; None = steps only
    grad_accum_steps: int = 1
    mixed_precision: str = "no"
    compile: bool | str = "auto"  # true | false | "kernels" | "auto" (src/training/compile.py)
    compile_backend: str = "inductor"
    clip_grad_norm_generator: float | None = None
    clip_grad_norm_discriminator: float | None = None
    warmup_steps: int = 0
    encoder_freeze_on_warmup: bool = False
    ema_decay: float | None = None  # None = no EMA (trainer.use_ema=false)
    checkpoint_every: int = 0
    keep_last: int = 3
    resume: str | None = "auto"
    init_from: str | None = None
    log_every: int = 50
    val_every: int = 0
    val_batches: int | None = None
    val_items: int = 0
    val_metrics: tuple[str, ...] = ()
    demo_every: int = 0
    max_nonfinite: int = 10
    progress_bar: bool = True


@dataclass
class TrainParts:
    """The built objects of one run (before Accelerate prepares them)."""

    codec: nn.Module
    discriminators: nn.ModuleDict
    reconstruction: nn.ModuleDict  # name -> loss term (loss.reconstruction)
    adversarial: nn.Module | None  # None without discriminators
    balancer: nn.Module | None
    weights: object  # src.loss.weighted.LossWeights
    data: object  # the data module: split(name), batch_size, segment_seconds, num_workers[, collate, watch]
    opt_g: object
    sched_g: object
    opt_d: object | None
    sched_d: object | None
    ema_model: nn.Module | None  # a second instance of the codec's architecture, for the EMA


@dataclass(frozen=True)
class RunRecord:
    """The resolved run config as the Trainer writes it: config.yaml beside the weights, and the loggers'."""

    yaml: str  # written to <run_dir>/config.yaml (read back by src.build.load_codec)
    tree: dict  # the same as plain data, for W&B / TensorBoard hyper-parameters
    logger: dict  # conf/logger
