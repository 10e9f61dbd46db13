"""From the composed training config to a ready Trainer: settings, Accelerator, every built part."""

from __future__ import annotations

from omegaconf import DictConfig, OmegaConf

from src.build.components import build_codec, build_discriminators, instantiate_node
from src.build.losses import build_losses, build_weights
from src.build.optim import build_optimizer, build_scheduler
from src.config import register_resolvers
from src.training import validation
from src.training.distributed import make_accelerator, shared_run_dir
from src.training.resume import is_fresh
from src.training.rng import seed_everything
from src.training.settings import RunRecord, TrainerSettings, TrainParts
from src.training.trainer import Trainer


def _budget_seconds(minutes) -> float | None:
    if minutes is None:
        return None
    if float(minutes) <= 0:
        raise ValueError(
            f"trainer.max_minutes={minutes}: give a positive number of minutes, or null for no "
            "time budget (max_steps alone)"
        )
    return 60.0 * float(minutes)


def _optional_float(value) -> float | None:
    return None if value is None else float(value)


def trainer_settings(cfg: DictConfig) -> TrainerSettings:
    """cfg.trainer (+ seed, logger.progress_bar) -> TrainerSettings; refuses init_from with a resume path."""
    t = cfg.trainer
    init_from = t.get("init_from")
    resume = None if t.resume is None else str(t.resume)
    if init_from is not None and not is_fresh(resume) and resume != "auto":
        raise ValueError(
            f"trainer.init_from={init_from} with trainer.resume={resume}: choose one. init_from "
            "starts a new run from a run's weights (fresh optimizer and schedule); resume continues "
            "a checkpoint with its optimizer and schedule"
        )
    return TrainerSettings(
        seed=int(cfg.seed),
        max_steps=int(t.max_steps),
        max_seconds=_budget_seconds(t.get("max_minutes")),
        grad_accum_steps=int(t.grad_accum_steps),
        mixed_precision=str(t.mixed_precision),
        compile=t.get("compile", "auto"),
        compile_backend=str(t.get("compile_backend", "inductor")),
        clip_grad_norm_generator=_optional_float(t.clip_grad_norm.generator),
        clip_grad_norm_discriminator=_optional_float(t.clip_grad_norm.discriminator),
        warmup_steps=int(t.warmup_steps),
        encoder_freeze_on_warmup=bool(t.encoder_freeze_on_warmup),
        ema_decay=float(t.ema_decay) if t.use_ema else None,
        checkpoint_every=int(t.checkpoint_every or 0),
        keep_last=int(t.keep_last),
        resume=resume,
        init_from=None if init_from is None else str(init_from),
        log_every=int(t.log_every),
        val_every=int(t.val_every or 0),
        val_batches=None if t.val_batches is None else int(t.val_batches),
        val_items=int(t.val_items),
        val_metrics=tuple(t.val_metrics),
        demo_every=int(t.demo_every or 0),
        max_nonfinite=int(t.max_nonfinite),
        progress_bar=bool(cfg.logger.get("progress_bar", True)),
    )


def build_parts(cfg: DictConfig, settings: TrainerSettings) -> TrainParts:
    """Every object of a run, in the order that fixes the initial weights for a seed (do not reorder: the
    published figures and the bitwise resume tests depend on which module draws which random numbers)."""
    codec, discs = build_codec(cfg), build_discriminators(cfg)
    recon, adversarial, balancer = build_losses(cfg, len(discs) > 0)
    weights = build_weights(cfg, recon, adversarial, getattr(codec.quantizer, "aux_loss_names", ()))
    validation.check_metrics_available(list(settings.val_metrics))
    data = instantiate_node(cfg, "data")
    trusted = list(cfg.get("trusted_targets") or [])
    opt_g = build_optimizer(codec.parameters(), cfg.optim.generator, "generator", trusted)
    sched_g = build_scheduler(opt_g, cfg.optim.scheduler, settings.max_steps)
    opt_d = build_optimizer(discs.parameters(), cfg.optim.discriminator, "discriminator", trusted) if discs else None
    sched_d = build_scheduler(opt_d, cfg.optim.scheduler, settings.max_steps) if discs else None
    ema_model = build_codec(cfg) if settings.ema_decay is not None else None
    return TrainParts(
        codec=codec,
        discriminators=discs,
        reconstruction=recon,
        adversarial=adversarial,
        balancer=balancer,
        weights=weights,
        data=data,
        opt_g=opt_g,
        sched_g=sched_g,
        opt_d=opt_d,
        sched_d=sched_d,
        ema_model=ema_model,
    )


def build_trainer(cfg: DictConfig) -> Trainer:
    """cfg: the composed training config (conf/train.yaml) -> a Trainer; `.fit()` trains."""
    register_resolvers()
    settings = trainer_settings(cfg)
    t = cfg.trainer
    acc = make_accelerator(bool(t.cpu), settings.mixed_precision, bool(t.get("ddp_find_unused_parameters", True)))
    run_dir = shared_run_dir(acc, cfg.run_dir)
    seed_everything(settings.seed)  # identical initial weights on every rank
    parts = build_parts(cfg, settings)
    record = RunRecord(
        yaml=OmegaConf.to_yaml(cfg, resolve=True),
        tree=OmegaConf.to_container(cfg, resolve=True),
        logger=OmegaConf.to_container(cfg.logger, resolve=True),
    )
    return Trainer(settings, acc, run_dir, parts, record)
