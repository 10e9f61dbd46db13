"""Start-up checks of the composed training config: every error names its key, all are listed at once.

Run by src/train.py before anything is built, so a bad value fails in a second instead of at the first
validation or checkpoint hours later (docs/config_checks.md lists the checks). One function per concern;
each returns the problems it found as "`key=value`: what is wrong; what to write" lines.
"""

from __future__ import annotations

import logging
import math

from omegaconf import DictConfig, OmegaConf, open_dict

from src.training.compile import COMPILE_SETTINGS

log = logging.getLogger(__name__)
_ABSENT = object()
PRECISIONS = ("no", "bf16", "fp16")


class ConfigError(ValueError):
    """The composed config holds values that cannot train; the message lists each key and its fix."""


def _get(cfg: DictConfig, key: str):
    return OmegaConf.select(cfg, key, default=_ABSENT)


def _show(key: str, value) -> str:
    return f"{key}={value!r}" if isinstance(value, str) else f"{key}={value}"


def _int(cfg: DictConfig, key: str, minimum: int, meaning: str = "", nullable: bool = False) -> list[str]:
    """key must be an integer >= minimum (null allowed when nullable); `meaning` explains the limit."""
    value = _get(cfg, key)
    if value is _ABSENT or (value is None and nullable):
        return []
    integral = isinstance(value, int) or (isinstance(value, float) and value.is_integer())
    if isinstance(value, bool) or not integral:
        null = " or null" if nullable else ""
        return [f"{_show(key, value)}: must be an integer{null} (e.g. {key}={max(minimum, 1)})"]
    if value < minimum:
        return [f"{_show(key, value)}: must be >= {minimum}{meaning}"]
    return []


def _positive_float(cfg: DictConfig, key: str) -> list[str]:
    value = _get(cfg, key)
    if value is _ABSENT:
        return []
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return [f"{_show(key, value)}: must be a finite number > 0 (e.g. {key}=1e-4)"]
    return [] if value > 0 else [f"{_show(key, value)}: must be > 0"]


def check_max_steps(cfg: DictConfig) -> list[str]:
    """trainer.max_steps >= 1, or 0 with trainer.export_untrained=true (export-only mode, warned loudly)."""
    problems = _int(cfg, "trainer.max_steps", 0, " (>= 1 trains; 0 only with trainer.export_untrained=true)")
    if problems or _get(cfg, "trainer.max_steps") != 0:
        return problems
    if _get(cfg, "trainer.export_untrained") is not True:
        return [
            (
                "trainer.max_steps=0: trains nothing and would export an untrained codec; use trainer.max_steps>=1, "
                "or add trainer.export_untrained=true if an untrained export is what you want"
            )
        ]
    log.warning(
        "trainer.max_steps=0 with trainer.export_untrained=true: NO TRAINING STEP RUNS; the exported "
        "codec.safetensors holds UNTRAINED weights (or the resumed checkpoint's)"
    )
    return []


def check_trainer_counts(cfg: DictConfig) -> list[str]:
    """Counts and periods of conf/trainer: every one that would divide by zero or never fire."""
    at_end = " (0 = only at the end of the run)"
    problems = []
    for key in ("keep_last", "log_every", "grad_accum_steps", "max_nonfinite"):
        problems += _int(cfg, f"trainer.{key}", 1)
    for key in ("val_every", "checkpoint_every", "demo_every", "warmup_steps"):
        problems += _int(cfg, f"trainer.{key}", 0, at_end if key != "warmup_steps" else "")
    problems += _int(cfg, "trainer.val_batches", 1, " (null = the whole valid split)", nullable=True)
    precision = _get(cfg, "trainer.mixed_precision")
    if precision is not _ABSENT and precision not in PRECISIONS:
        problems.append(f"{_show('trainer.mixed_precision', precision)}: choose one of {list(PRECISIONS)}")
    for role in ("generator", "discriminator"):
        key = f"trainer.clip_grad_norm.{role}"
        if _get(cfg, key) not in (_ABSENT, None):
            problems += [p.replace("must be", "must be null (no clipping) or") for p in _positive_float(cfg, key)]
    decay = _get(cfg, "trainer.ema_decay")
    if _get(cfg, "trainer.use_ema") is True and not (isinstance(decay, (int, float)) and 0 <= decay < 1):
        problems.append(f"{_show('trainer.ema_decay', decay)}: must be a number in [0, 1) when trainer.use_ema=true")
    return problems


def check_val_metrics(cfg: DictConfig) -> list[str]:
    """trainer.val_metrics: a list of item metrics of src.metrics.suite; val_items >= 1 when it is not empty."""
    names = _get(cfg, "trainer.val_metrics")
    if names is _ABSENT or names is None:
        return []
    try:  # the item metrics score_pairs can compute during validation (not the codec metrics rtf_*)
        from src.metrics.suite import METRICS
    except ImportError as err:
        return [
            (
                f"trainer.val_metrics={list(names)} needs src.metrics.suite ({err}); "
                "set trainer.val_metrics=[] to validate on the loss terms only"
            )
        ]
    if isinstance(names, str) or not OmegaConf.is_list(names):
        return [
            (
                f"{_show('trainer.val_metrics', names)}: must be a list, e.g. trainer.val_metrics=[{names}] "
                "([] = validate on the loss terms only)"
            )
        ]
    unknown = [n for n in names if n not in METRICS]
    if unknown:
        return [
            (
                f"trainer.val_metrics={list(names)}: unknown metric(s) {unknown}; choose from {sorted(METRICS)} "
                "([] = validate on the loss terms only)"
            )
        ]
    problems = [_unimportable(name, METRICS[name].module, METRICS[name].cls) for name in names]
    problems = [p for p in problems if p]
    return problems + (
        _int(cfg, "trainer.val_items", 1, " when trainer.val_metrics is not empty") if len(names) else []
    )


def _unimportable(name: str, module: str, cls: str) -> str:
    """'' when the metric's class imports (so validation fails now rather than at its first run), else why.
    The optional packages a metric calls (pesq, pystoi, ...) load when it scores; a missing one is logged
    as that metric's reason in the validation results (src.metrics.suite.score_item)."""
    import importlib

    try:
        getattr(importlib.import_module(module), cls)
    except (ImportError, AttributeError) as err:
        return (
            f"trainer.val_metrics=[..., {name}, ...]: metric {name!r} cannot be loaded ({module}.{cls}: {err}); "
            "fix the install or drop it from trainer.val_metrics"
        )
    return ""


def check_data(cfg: DictConfig) -> list[str]:
    auto = _get(cfg, "data.num_workers") == "auto"  # resolved per device by the data module (conf/data)
    return _int(cfg, "data.batch_size", 1) + ([] if auto else _int(cfg, "data.num_workers", 0))


def check_optim(cfg: DictConfig) -> list[str]:
    from src.training.schedule import SCHEDULES

    problems = _positive_float(cfg, "optim.generator.lr") + _positive_float(cfg, "optim.discriminator.lr")
    name = _get(cfg, "optim.scheduler.name")
    if name is not _ABSENT and name not in SCHEDULES:
        problems.append(f"{_show('optim.scheduler.name', name)}: choose one of {list(SCHEDULES)}")
    return problems + _int(cfg, "optim.scheduler.warmup_steps", 0)


def check_init_from(cfg: DictConfig) -> list[str]:
    """trainer.init_from names a finished run (its codec.safetensors) and is not combined with a resume path."""
    from pathlib import Path

    source = _get(cfg, "trainer.init_from")
    if source in (_ABSENT, None):
        return []
    if not (Path(str(source)) / "codec.safetensors").is_file():
        return [
            (
                f"{_show('trainer.init_from', source)}: no codec.safetensors there; give the directory of a "
                "finished run (or trainer.init_from=null)"
            )
        ]
    resume = _get(cfg, "trainer.resume")
    if resume is not None and str(resume).lower() not in ("auto", "none", "null", "false", ""):
        return [
            (
                f"{_show('trainer.init_from', source)} with {_show('trainer.resume', resume)}: choose one "
                "(init_from starts fresh from a run's weights; resume continues a checkpoint)"
            )
        ]
    return []


def normalize_logger(cfg: DictConfig) -> list[str]:
    """`logger.wandb=false` / `logger.tensorboard=false` mean "off" (rewritten as {enabled: false});
    `=true` would lose the group's settings, so it is refused with the key to write instead."""
    problems = []
    for sink in ("wandb", "tensorboard"):
        value = _get(cfg, f"logger.{sink}")
        if value is False:
            with open_dict(cfg):
                cfg.logger[sink] = {"enabled": False}
        elif value is not _ABSENT and not OmegaConf.is_dict(value):
            problems.append(
                f"{_show(f'logger.{sink}', value)}: write logger.{sink}.enabled=true (or false) "
                f"to switch it; logger.{sink} holds its settings"
            )
    return problems


def check_budget_and_compile(cfg: DictConfig) -> list[str]:
    """trainer.max_minutes: null or a finite number > 0; trainer.compile: true | false | kernels | auto."""
    problems = []
    minutes = _get(cfg, "trainer.max_minutes")
    if minutes is not _ABSENT and minutes is not None:
        problems += _positive_float(cfg, "trainer.max_minutes")
        problems = [
            p.replace("e.g. trainer.max_minutes=1e-4", "e.g. trainer.max_minutes=10; null = steps only")
            for p in problems
        ]
    setting = _get(cfg, "trainer.compile")
    if setting is not _ABSENT and setting not in COMPILE_SETTINGS:
        problems.append(f"{_show('trainer.compile', setting)}: choose true, false, kernels or auto (docs/speed.md)")
    return problems


CHECKS = (
    normalize_logger,
    check_max_steps,
    check_trainer_counts,
    check_val_metrics,
    check_data,
    check_optim,
    check_init_from,
    check_budget_and_compile,
)


def check_config(cfg: DictConfig) -> None:
    """Run every check; raise one ConfigError listing all the problems (each names its key)."""
    problems = [p for check in CHECKS for p in check(cfg)]
    if problems:
        raise ConfigError("the training config cannot run:\n  " + "\n  ".join(problems))
