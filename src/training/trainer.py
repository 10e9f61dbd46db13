"""The training loop of codeclab on Accelerate: one CPU, one GPU or several processes (DDP).

A step (one optimizer step) over `grad_accum_steps` micro-batches: codec forward; once adversarial training
has started (step >= trainer.warmup_steps), the discriminator loss on the detached reconstruction, whose
optimizer steps at the last micro-batch BEFORE the generator loss is computed (DAC/audiocraft order: the
generator is scored by the updated discriminators); then the generator loss. Only this class calls backward.
The run ends at trainer.max_steps or, when trainer.max_minutes is set, at the first step past that wall-clock
budget (same final validation, checkpoint and export either way).
"""
from __future__ import annotations

import contextlib
import logging
import time
import warnings

import torch
from accelerate import Accelerator
from accelerate.utils import DistributedDataParallelKwargs
from hydra.utils import instantiate
from omegaconf import DictConfig, OmegaConf

from src.build import build_codec, build_discriminators
from src.training import builders, validation
from src.training.compile import compile_enabled, compile_for_training
from src.training.ema import ModelEMA
from src.training.loggers import RunLogger
from src.training.run_state import RunStateMixin
from src.training.sampler import ResumableShardSampler
from src.training.schedule import build_optimizer, build_scheduler
from src.training.steps import discriminator_step, frozen, generator_step

log = logging.getLogger(__name__)


class NonFiniteLossError(RuntimeError):
    """Raised after trainer.max_nonfinite consecutive non-finite steps."""


class Trainer(RunStateMixin):
    """cfg: the composed training config (see conf/train.yaml). `Trainer(cfg).fit()` -> summary dict."""

    def __init__(self, cfg: DictConfig) -> None:
        self.cfg, t = cfg, cfg.trainer
        ddp = DistributedDataParallelKwargs(find_unused_parameters=bool(t.get("ddp_find_unused_parameters", True)))
        self.acc = Accelerator(cpu=bool(t.cpu), mixed_precision=str(t.mixed_precision), kwargs_handlers=[ddp])
        self.run_dir = self._shared_run_dir(cfg)
        builders.seed_everything(int(cfg.seed))  # identical initial weights on every rank
        codec, discs = build_codec(cfg), build_discriminators(cfg)
        self.recon, self.adversarial, self.balancer = builders.build_losses(cfg, len(discs) > 0)
        self.weights = builders.build_weights(cfg, self.recon, self.adversarial,
                                              getattr(codec.quantizer, "aux_loss_names", ()))
        validation.check_metrics_available(list(t.val_metrics))
        self.data = instantiate(cfg.data, _convert_="all")
        self.train_set, self.valid_set = self.data.split("train"), self.data.split("valid")
        self.sampler = ResumableShardSampler(len(self.train_set), self.data.batch_size, self.acc.process_index,
                                             self.acc.num_processes, int(cfg.seed))
        max_steps = int(t.max_steps)
        self.max_seconds = _budget_seconds(t.get("max_minutes"))
        self.opt_g = build_optimizer(codec.parameters(), cfg.optim.generator, "generator")
        self.sched_g = build_scheduler(self.opt_g, cfg.optim.scheduler, max_steps)
        self.opt_d = build_optimizer(discs.parameters(), cfg.optim.discriminator, "discriminator") if discs else None
        self.sched_d = build_scheduler(self.opt_d, cfg.optim.scheduler, max_steps) if discs else None
        self.ema = ModelEMA(build_codec(cfg), codec, float(t.ema_decay)) if t.use_ema else None
        self.compiled = self._compile(codec, discs)
        # prepare: models (DDP + autocast) and optimizers only. Schedulers are stepped here once per step
        # and data is sharded by our own resumable sampler.
        self.codec_raw, self.discs_raw = codec, discs
        self.codec, self.opt_g = self.acc.prepare(codec, self.opt_g)
        self.discs = {name: self.acc.prepare(d) for name, d in discs.items()}
        if self.opt_d is not None:
            self.opt_d = self.acc.prepare(self.opt_d)
        self.recon.to(self.acc.device)
        if self.ema is not None:
            self.ema.to(self.acc.device)
        builders.seed_everything(int(cfg.seed) + self.acc.process_index)  # per-rank randomness from here on
        self.step = self.epoch = self.batch_in_epoch = 0
        self.nonfinite_run = self.nonfinite_total = 0
        self.resumed_from = None
        # filled by fit() for summary.json
        self.stopped_on, self.start_step, self.step_seconds, self.train_seconds = None, 0, 0.0, 0.0
        self._window: dict[str, torch.Tensor] = {}
        self._window_steps, self._window_start = 0, time.perf_counter()
        self.logger: RunLogger | None = None

    def _compile(self, codec, discs) -> list[str]:
        """trainer.compile: compile the codec's stages, discriminators and losses in place (docs/speed.md)."""
        t = self.cfg.trainer
        if not compile_enabled(t.get("compile", False), self.acc.device):
            return []
        return compile_for_training(codec, discs, self.recon, str(t.get("compile_backend", "inductor")))

    # ------------------------------------------------------------------ data
    def _batches(self):
        """Yields training batches forever, tracking (epoch, batch_in_epoch) for checkpoints."""
        pin = self.acc.device.type == "cuda"
        while True:
            self.sampler.set_epoch(self.epoch, self.batch_in_epoch)
            loader = builders.build_train_loader(self.train_set, self.data, self.sampler, self.epoch,
                                                 int(self.cfg.seed), pin)
            for batch in loader:
                self.batch_in_epoch += 1
                yield batch
            self.epoch, self.batch_in_epoch = self.epoch + 1, 0

    # ------------------------------------------------------------------ one step
    def _all_finite(self, value: torch.Tensor) -> bool:
        """Collective: every rank must take the same decision, or DDP would wait on a rank that skipped."""
        bad = (~torch.isfinite(value.detach().float())).any().float().reshape(1)
        return float(self.acc.reduce(bad, reduction="sum")) == 0.0

    def _sync_context(self, last: bool):
        stack = contextlib.ExitStack()
        if not last:  # accumulate locally; the last micro-batch all-reduces the sum
            for model in (self.codec, *self.discs.values()):
                stack.enter_context(self.acc.no_sync(model))
        return stack

    def _clip(self, params, max_norm) -> torch.Tensor:
        limit = float("inf") if max_norm is None else float(max_norm)
        return torch.as_tensor(self.acc.clip_grad_norm_(params, limit)).detach().float()

    def _grad_ok(self, norm: torch.Tensor) -> bool:
        # under fp16 the GradScaler handles overflowing gradients itself (it skips and lowers the scale)
        return self.cfg.trainer.mixed_precision == "fp16" or bool(torch.isfinite(norm))

    def adversarial_active(self) -> bool:
        return bool(self.discs) and self.step >= int(self.cfg.trainer.warmup_steps)

    def train_step(self, batches: list[dict]) -> dict[str, torch.Tensor] | None:
        """One optimizer step over the micro-batches. -> detached logs, or None when skipped (non-finite).

        A skipped step also restores the codec's buffers: a non-finite forward would otherwise leave NaN in
        running statistics such as EMA codebooks, and every later step would be non-finite too.
        """
        buffers = [b.detach().clone() for b in self.codec_raw.buffers()]
        logs = self._train_step(batches)
        if logs is None:
            with torch.no_grad():
                for b, saved in zip(self.codec_raw.buffers(), buffers):
                    b.copy_(saved)
        return logs

    def _train_step(self, batches: list[dict]) -> dict[str, torch.Tensor] | None:
        t, n = self.cfg.trainer, len(batches)
        adversarial = self.adversarial_active()
        self.opt_g.zero_grad(set_to_none=True)
        if self.opt_d is not None:
            self.opt_d.zero_grad(set_to_none=True)
        logs: dict[str, torch.Tensor] = {}
        for i, batch in enumerate(batches):
            last = i == n - 1
            wav = batch["wav"].to(self.acc.device, non_blocking=True)
            with self._sync_context(last):
                out = self.codec(wav)
                if adversarial:
                    d_loss, d_logs = discriminator_step(self.discs, self.adversarial, wav, out.wav_hat)
                    if not self._all_finite(d_loss):
                        return None
                    self.acc.backward(d_loss / n)
                    _accumulate(logs, d_logs, n)
                    if last:
                        norm = self._clip(self.discs_raw.parameters(), t.clip_grad_norm.discriminator)
                        if not self._grad_ok(norm):
                            return None
                        self.opt_d.step()
                        logs["grad_norm/discriminator"] = norm
                with frozen(self.discs_raw):
                    g_loss, terms = generator_step(out, wav, self.recon, self.weights, self.adversarial,
                                                   self.discs_raw if adversarial else None, self.balancer)
                if not self._all_finite(g_loss):
                    return None
                self.acc.backward(g_loss / n)
            _accumulate(logs, {f"loss/{k}": v for k, v in terms.items()}, n)
            _accumulate(logs, {f"metrics/{k}": torch.as_tensor(v) for k, v in out.metrics.items()}, n)
        if t.encoder_freeze_on_warmup and adversarial:
            for p in self.codec_raw.encoder.parameters():
                p.grad = None  # AdamW skips parameters without gradient: no update, no weight decay
        norm = self._clip(self.codec_raw.parameters(), t.clip_grad_norm.generator)
        if not self._grad_ok(norm):
            return None
        self.opt_g.step()
        if self.ema is not None:
            self.ema.update(self.codec_raw)
        logs["grad_norm/generator"] = norm
        logs["loss/total"] = sum(self.weights.weights[k[5:]] * v for k, v in logs.items()
                                 if k.startswith("loss/") and k[5:] in self.weights.weights)
        return logs

    def _after_step(self, logs) -> None:
        """Counts non-finite steps, advances the schedules and the step counter."""
        t, adversarial = self.cfg.trainer, self.adversarial_active()
        if logs is None:
            self.opt_g.zero_grad(set_to_none=True)
            if self.opt_d is not None:
                self.opt_d.zero_grad(set_to_none=True)
            self.nonfinite_run += 1
            self.nonfinite_total += 1
            log.warning("step %d: non-finite loss or gradient, step skipped (%d in a row, %d in all)",
                        self.step, self.nonfinite_run, self.nonfinite_total)
            if self.nonfinite_run >= int(t.max_nonfinite):
                raise NonFiniteLossError(
                    f"{self.nonfinite_run} consecutive non-finite steps (trainer.max_nonfinite={t.max_nonfinite}) "
                    f"at step {self.step}; the last good checkpoint is kept in {self.run_dir / 'checkpoints'}. "
                    "Lower optim.*.lr, enable trainer.clip_grad_norm, or use trainer.mixed_precision=no/bf16"
                )
        else:
            self.nonfinite_run = 0
            _accumulate(self._window, logs, 1)
            self._window_steps += 1
        self.step += 1
        with warnings.catch_warnings():  # a skipped step did not call optimizer.step(): expected here
            warnings.filterwarnings("ignore", message="Detected call of `lr_scheduler.step()`")
            self.sched_g.step()
            if self.sched_d is not None and adversarial:
                self.sched_d.step()

    # ------------------------------------------------------------------ loop
    def fit(self) -> dict:
        t = self.cfg.trainer
        self.resume()
        self.logger = RunLogger(self.run_dir, self.cfg.logger, OmegaConf.to_container(self.cfg, resolve=True),
                                active=self.acc.is_main_process)
        self.write_config()
        self.codec.train()
        for d in self.discs.values():
            d.train()
        batches, accum = self._batches(), int(t.grad_accum_steps)
        bar = self._progress_bar()
        self.start_step, out_of_time = self.step, False
        start = time.perf_counter()  # the budget's clock: setup and resume above are not counted
        while self.step < int(t.max_steps):
            logs = self.train_step([next(batches) for _ in range(accum)])
            self._after_step(logs)
            self.step_seconds = time.perf_counter() - start  # to the end of the last step: the budget's figure
            last = self.step == int(t.max_steps)
            out_of_time = not last and self._out_of_time(start)  # same on every rank, so the collective is too
            last = last or out_of_time
            if self.step % int(t.log_every) == 0 or last:
                self.log_train(bar)
            if _due(self.step, t.val_every, last):
                self.validate()
            if _due(self.step, t.demo_every, last):
                self.demo()
            if _due(self.step, t.checkpoint_every, last) and self.nonfinite_run == 0:
                self.save_checkpoint()  # never during a non-finite streak: the last good one is kept
            if bar is not None:
                bar.update(1)
            if out_of_time:
                break
        self.train_seconds = time.perf_counter() - start
        self.stopped_on = "max_minutes" if out_of_time else "max_steps"
        summary = self.finish()
        if bar is not None:
            bar.close()
        return summary

    def _out_of_time(self, start: float) -> bool:
        """Collective: is the wall-clock budget spent? Each rank reads its own clock, and the flags are
        summed so that every rank stops at the same step (a rank that stopped alone would hang DDP)."""
        if self.max_seconds is None:
            return False
        over = torch.tensor([float(time.perf_counter() - start >= self.max_seconds)], device=self.acc.device)
        if float(self.acc.reduce(over, reduction="sum")) == 0.0:
            return False
        if self.acc.is_main_process:
            log.info("stopped on the time budget (trainer.max_minutes=%g): step %d of max_steps %d after %.1f s "
                     "of training", self.max_seconds / 60, self.step, int(self.cfg.trainer.max_steps),
                     time.perf_counter() - start)
        return True

    def _progress_bar(self):
        if not (self.acc.is_main_process and self.cfg.logger.get("progress_bar", True)):
            return None
        from tqdm.auto import tqdm

        return tqdm(total=int(self.cfg.trainer.max_steps), initial=self.step, desc="train", dynamic_ncols=True)


def _accumulate(into: dict, values: dict, n: int) -> None:
    for k, v in values.items():
        v = torch.as_tensor(v).detach().float().mean() / n
        into[k] = into[k] + v if k in into else v


def _budget_seconds(minutes) -> float | None:
    if minutes is None:
        return None
    if float(minutes) <= 0:
        raise ValueError(f"trainer.max_minutes={minutes}: give a positive number of minutes, or null for no "
                         "time budget (max_steps alone)")
    return 60.0 * float(minutes)


def _due(step: int, every, last: bool) -> bool:
    every = int(every or 0)
    return last or (every > 0 and step % every == 0)
