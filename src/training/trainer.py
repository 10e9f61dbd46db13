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
import re
import time
import warnings
from pathlib import Path

import torch

from src.nn.kernels import set_fused_kernels
from src.training.checkpointing import Checkpointer
from src.training.clock import budget_spent, due, progress_bar
from src.training.compile import compile_for_training, compile_mode
from src.training.ema import ModelEMA
from src.training.finish import finish_run, state_digest, write_run_config
from src.training.init_from import init_weights_from
from src.training.loaders import build_train_loader
from src.training.loggers import RunLogger
from src.training.rng import seed_everything
from src.training.sampler import ResumableShardSampler
from src.training.settings import RunRecord, TrainerSettings, TrainParts
from src.training.state import TrainState
from src.training.step_log import StepLog, accumulate
from src.training.steps import discriminator_step, frozen, generator_step
from src.training.validator import Validator

log = logging.getLogger(__name__)


class NonFiniteLossError(RuntimeError):
    """Raised after trainer.max_nonfinite consecutive non-finite steps."""


def _state_field(name: str) -> property:
    """A Trainer attribute that is the TrainState's field `name` (read and write)."""
    return property(
        lambda self: getattr(self.state, name), lambda self, v: setattr(self.state, name, v), doc=f"self.state.{name}"
    )


class Trainer:
    """The training loop over built objects (src.build.build_trainer(cfg) makes one from a config).

    settings: conf/trainer as plain values; acc: the Accelerator (src.training.distributed.make_accelerator);
    run_dir: the run directory (shared by every process); parts: the built codec, discriminators, losses,
    optimizers, schedules and data; record: the resolved config written beside the weights.
    `Trainer(...).fit()` -> summary dict. What a checkpoint holds is `self.state` (a TrainState).
    """

    def __init__(self, settings: TrainerSettings, acc, run_dir: Path, parts: TrainParts, record: RunRecord) -> None:
        self.settings, self.acc, self.run_dir, self.record = settings, acc, Path(run_dir), record
        codec, discs = parts.codec, parts.discriminators
        self.recon, self.adversarial, self.balancer = parts.reconstruction, parts.adversarial, parts.balancer
        self.weights, self.data = parts.weights, parts.data
        self.train_set, self.valid_set = self.data.split("train"), self.data.split("valid")
        self.sampler = ResumableShardSampler(
            len(self.train_set), self.data.batch_size, acc.process_index, acc.num_processes, settings.seed
        )
        ema = ModelEMA(parts.ema_model, codec, settings.ema_decay) if parts.ema_model is not None else None
        self.compiled = self._compile(codec, discs)
        # prepare: models (DDP + autocast) and optimizers only. Schedulers are stepped here once per step
        # and data is sharded by our own resumable sampler.
        self.codec_raw, self.discs_raw = codec, discs
        self.codec, opt_g = acc.prepare(codec, parts.opt_g)
        self.discs = {name: acc.prepare(d) for name, d in discs.items()}
        opt_d = acc.prepare(parts.opt_d) if parts.opt_d is not None else None
        self.recon.to(acc.device)
        if ema is not None:
            ema.to(acc.device)
        seed_everything(settings.seed + acc.process_index)  # per-rank randomness from here on
        self.state = TrainState(
            codec=codec,
            discriminators=discs,
            opt_g=opt_g,
            sched_g=parts.sched_g,
            opt_d=opt_d,
            sched_d=parts.sched_d,
            ema=ema,
            scaler=acc.scaler,
            balancer=self.balancer,
        )
        self.checkpointer = Checkpointer(acc, self.run_dir, settings.keep_last, settings.seed)
        self.validator = Validator(
            acc,
            self.data,
            self.valid_set,
            self.recon,
            self.run_dir,
            settings.val_batches,
            settings.val_items,
            settings.val_metrics,
        )
        seconds_per_step = self.data.batch_size * float(self.data.segment_seconds) * settings.grad_accum_steps
        self.step_log = StepLog(acc, seconds_per_step)
        self.resumed_from: str | None = None
        # filled by fit() for summary.json
        self.stopped_on, self.start_step, self.step_seconds, self.train_seconds = None, 0, 0.0, 0.0
        self.logger: RunLogger | None = None

    # ------------------------------------------------------------------ state (declared in TrainState)
    opt_g, opt_d = _state_field("opt_g"), _state_field("opt_d")
    sched_g, sched_d, ema = _state_field("sched_g"), _state_field("sched_d"), _state_field("ema")
    step, epoch, batch_in_epoch = _state_field("step"), _state_field("epoch"), _state_field("batch_in_epoch")
    nonfinite_run, nonfinite_total = _state_field("nonfinite_run"), _state_field("nonfinite_total")

    def eval_model(self):
        """The model validated, demoed and exported: the EMA one when trainer.use_ema."""
        return self.ema.shadow if self.ema is not None else self.codec_raw

    def _compile(self, codec, discs) -> list[str]:
        """trainer.compile: compile the codec's stages, discriminators and losses in place, or switch the fused
        kernels on (docs/speed.md). -> the names of what is compiled."""
        mode = compile_mode(self.settings.compile, self.acc.device, codec)
        if mode == "kernels":
            set_fused_kernels(codec, self.settings.compile_backend)  # the EMA copy validates eagerly
            return ["kernels"]
        if mode == "off":
            return []
        # asked for explicitly, a compile error stops the run; chosen by auto, the frame falls back to eager
        auto = str(self.settings.compile).lower() == "auto"
        return compile_for_training(codec, discs, self.recon, self.settings.compile_backend, errors_fall_back=auto)

    # ------------------------------------------------------------------ data
    def _batches(self):
        """Yields training batches forever, tracking (epoch, batch_in_epoch) for checkpoints."""
        pin, st = self.acc.device.type == "cuda", self.state
        while True:
            self.sampler.set_epoch(st.epoch, st.batch_in_epoch)
            loader = build_train_loader(self.train_set, self.data, self.sampler, st.epoch, self.settings.seed, pin)
            for batch in loader:
                st.batch_in_epoch += 1
                yield batch
            st.epoch, st.batch_in_epoch = st.epoch + 1, 0

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
        return self.settings.mixed_precision == "fp16" or bool(torch.isfinite(norm))

    def adversarial_active(self) -> bool:
        return bool(self.discs) and self.step >= self.settings.warmup_steps

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
        t, n = self.settings, len(batches)
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
                    accumulate(logs, d_logs, n)
                    if last:
                        norm = self._clip(self.discs_raw.parameters(), t.clip_grad_norm_discriminator)
                        if not self._grad_ok(norm):
                            return None
                        self.opt_d.step()
                        logs["grad_norm/discriminator"] = norm
                with frozen(self.discs_raw):
                    g_loss, terms = generator_step(
                        out,
                        wav,
                        self.recon,
                        self.weights,
                        self.adversarial,
                        self.discs_raw if adversarial else None,
                        self.balancer,
                    )
                if not self._all_finite(g_loss):
                    return None
                self.acc.backward(g_loss / n)
            accumulate(logs, {f"loss/{k}": v for k, v in terms.items()}, n)
            accumulate(logs, {f"metrics/{k}": torch.as_tensor(v) for k, v in out.metrics.items()}, n)
        if t.encoder_freeze_on_warmup and adversarial:
            for p in self.codec_raw.encoder.parameters():
                p.grad = None  # AdamW skips parameters without gradient: no update, no weight decay
        norm = self._clip(self.codec_raw.parameters(), t.clip_grad_norm_generator)
        if not self._grad_ok(norm):
            return None
        self.opt_g.step()
        if self.ema is not None:
            self.ema.update(self.codec_raw)
        logs["grad_norm/generator"] = norm
        logs["loss/total"] = sum(
            self.weights.weights[k[5:]] * v
            for k, v in logs.items()
            if k.startswith("loss/") and k[5:] in self.weights.weights
        )
        return logs

    def _after_step(self, logs) -> None:
        """Counts non-finite steps, advances the schedules and the step counter."""
        st, adversarial = self.state, self.adversarial_active()
        if logs is None:
            self.opt_g.zero_grad(set_to_none=True)
            if self.opt_d is not None:
                self.opt_d.zero_grad(set_to_none=True)
            st.nonfinite_run += 1
            st.nonfinite_total += 1
            log.warning(
                "step %d: non-finite loss or gradient, step skipped (%d in a row, %d in all)",
                st.step,
                st.nonfinite_run,
                st.nonfinite_total,
            )
            if st.nonfinite_run >= self.settings.max_nonfinite:
                raise NonFiniteLossError(
                    f"{st.nonfinite_run} consecutive non-finite steps (trainer.max_nonfinite="
                    f"{self.settings.max_nonfinite}) at step {st.step}; the last good checkpoint is kept in "
                    f"{self.run_dir / 'checkpoints'}. Lower optim.*.lr, enable trainer.clip_grad_norm, or use "
                    "trainer.mixed_precision=no/bf16"
                )
        else:
            st.nonfinite_run = 0
            self.step_log.add(logs)
        st.step += 1
        with warnings.catch_warnings():  # a skipped step did not call optimizer.step(): expected here
            warnings.filterwarnings("ignore", message=re.escape("Detected call of `lr_scheduler.step()`"))
            self.sched_g.step()
            if self.sched_d is not None and adversarial:
                self.sched_d.step()

    # ------------------------------------------------------------------ run-level duties
    def start(self) -> None:
        """Resume (or initialise weights from trainer.init_from), open the loggers, write config.yaml."""
        t = self.settings
        self.resumed_from = self.checkpointer.resume(self.state, t.resume)
        if t.init_from is not None:
            if self.resumed_from is None:
                init_weights_from(t.init_from, self.codec_raw, self.discs_raw, self.ema)
            elif self.acc.is_main_process:
                log.info(
                    "trainer.init_from=%s ignored: the run continues from its checkpoint %s",
                    t.init_from,
                    self.resumed_from,
                )
        self.logger = RunLogger(self.run_dir, self.record.logger, self.record.tree, active=self.acc.is_main_process)
        write_run_config(self.acc, self.run_dir, self.record.yaml)

    def log_train(self, bar=None) -> None:
        """Logs the window's averages (collective)."""
        extra = {"lr/generator": self.sched_g.get_last_lr()[0]}
        if self.sched_d is not None:
            extra["lr/discriminator"] = self.sched_d.get_last_lr()[0]
        extra["nonfinite/skipped"] = float(self.nonfinite_total)
        self.step_log.flush(self.logger, self.step, extra, bar)

    def validate(self) -> None:
        values = self.validator.validate(self.eval_model(), self.step, self.logger)
        if values is not None:  # the main process; the others keep theirs empty
            self.state.last_validation = values

    def finish(self) -> dict:
        """Export codec.safetensors (EMA weights when use_ema) + config.yaml, and write summary.json."""
        st = self.state
        fields = {
            "step": st.step,
            "nonfinite_skipped": st.nonfinite_total,
            "resumed_from": self.resumed_from,
            "ema": self.ema is not None,
            "stopped_on": self.stopped_on,
            "start_step": self.start_step,
            "step_seconds": self.step_seconds,
            "train_seconds": self.train_seconds,
            "validation": st.last_validation,
        }
        summary = finish_run(
            self.acc,
            self.run_dir,
            self.eval_model(),
            self.record.yaml,
            state_digest(self.codec_raw, self.discs_raw),
            fields,
        )
        self.logger.close()
        self.acc.wait_for_everyone()
        return summary

    # ------------------------------------------------------------------ loop
    def fit(self) -> dict:
        t = self.settings
        self.start()
        self.codec.train()
        for d in self.discs.values():
            d.train()
        batches = self._batches()
        bar = progress_bar(self.acc, t.progress_bar, t.max_steps, self.step)
        self.start_step, out_of_time = self.step, False
        start = time.perf_counter()  # the budget's clock: setup and resume above are not counted
        while self.step < t.max_steps:
            logs = self.train_step([next(batches) for _ in range(t.grad_accum_steps)])
            self._after_step(logs)
            self.step_seconds = time.perf_counter() - start  # to the end of the last step: the budget's figure
            last = self.step == t.max_steps
            # same on every rank, so the collective is too
            out_of_time = not last and budget_spent(self.acc, start, t.max_seconds)
            last = last or out_of_time
            if self.step % t.log_every == 0 or last:
                self.log_train(bar)
            if due(self.step, t.val_every, last):
                self.validate()
            if due(self.step, t.demo_every, last):
                self.validator.demo(self.eval_model(), self.step, self.logger)
            if due(self.step, t.checkpoint_every, last) and self.nonfinite_run == 0:
                self.checkpointer.save(self.state)  # never during a non-finite streak: the last good one is kept
            if bar is not None:
                bar.update(1)
            if out_of_time:
                break
        self.train_seconds = time.perf_counter() - start
        if out_of_time and self.acc.is_main_process:
            log.info(
                "stopped on the time budget (trainer.max_minutes=%g): step %d of max_steps %d after %.1f s of training",
                t.max_seconds / 60,
                self.step,
                t.max_steps,
                self.train_seconds,
            )
        self.stopped_on = "max_minutes" if out_of_time else "max_steps"
        summary = self.finish()
        if bar is not None:
            bar.close()
        return summary
