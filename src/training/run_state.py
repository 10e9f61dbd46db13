"""The Trainer's run-level duties: run directory, checkpoint save/resume, logging, validation, demos, export.

Kept apart from the step logic in trainer.py; methods read the Trainer's attributes.
"""
from __future__ import annotations

import hashlib
import json
import logging
import time
from pathlib import Path

import torch
from accelerate.utils import broadcast_object_list, gather_object
from omegaconf import OmegaConf

from src.codec import CONFIG_FILE, WEIGHTS_FILE
from src.training import builders, validation
from src.training.checkpoint import (
    CheckpointWriter,
    CorruptCheckpoint,
    capture_rng,
    read_checkpoint,
    restore_rng,
)
from src.training.loggers import METRICS_FILE, truncate_jsonl
from src.training.resume import RunDirInUse, load_resume

log = logging.getLogger(__name__)
SUMMARY_FILE = "summary.json"


class RunStateMixin:
    # ------------------------------------------------------------------ run directory and config
    def _shared_run_dir(self, cfg) -> Path:
        """cfg.run_dir (Hydra's output dir) as seen by rank 0: with torchrun each process has its own Hydra
        output dir (timestamps may differ by a second), but a run must write to one place."""
        holder = [str(cfg.run_dir) if self.acc.is_main_process else None]
        if self.acc.num_processes > 1:
            broadcast_object_list(holder, from_process=0)
        run_dir = Path(holder[0])
        run_dir.mkdir(parents=True, exist_ok=True)
        return run_dir

    def write_config(self) -> None:
        """The resolved config beside the weights, so that Codec.load(run_dir) rebuilds the model."""
        if self.acc.is_main_process:
            (self.run_dir / CONFIG_FILE).write_text(OmegaConf.to_yaml(self.cfg, resolve=True))

    def eval_model(self):
        return self.ema.shadow if self.ema is not None else self.codec_raw

    # ------------------------------------------------------------------ checkpoints
    def save_checkpoint(self) -> Path:
        weights = {"codec": self.codec_raw.state_dict()}
        if len(self.discs_raw):
            weights["discriminators"] = self.discs_raw.state_dict()
        if self.ema is not None:
            weights["codec_ema"] = self.ema.shadow.state_dict()
        objects = {"opt_g": self.opt_g.state_dict(), "sched_g": self.sched_g.state_dict()}
        if self.opt_d is not None:
            objects.update(opt_d=self.opt_d.state_dict(), sched_d=self.sched_d.state_dict())
        if self.acc.scaler is not None:
            objects["scaler"] = self.acc.scaler.state_dict()
        if self.balancer is not None:
            objects["balancer"] = self.balancer.state_dict()
        state = {"step": self.step, "epoch": self.epoch, "batch_in_epoch": self.batch_in_epoch,
                 "nonfinite_run": self.nonfinite_run, "nonfinite_total": self.nonfinite_total,
                 "ema_updates": self.ema.updates if self.ema is not None else 0,
                 "world_size": self.acc.num_processes}
        writer = CheckpointWriter(self.run_dir, int(self.cfg.trainer.keep_last), self.acc)
        return writer.save(self.step, weights, objects, state)

    def resume(self) -> None:
        """Restore everything from trainer.resume (auto / none / path); the main process picks the path."""
        holder, ckpt, error = [None, None], None, None
        if self.acc.is_main_process:
            try:  # refuses a resume that would destroy the run in run_dir; skips a corrupt newest checkpoint
                path, ckpt = load_resume(self.cfg.trainer.resume, self.run_dir, self.acc.process_index)
                holder = [str(path) if path else None, None]
            except (RunDirInUse, CorruptCheckpoint, FileNotFoundError) as err:
                error, holder = err, [None, f"{type(err).__name__}: {err}"]
        if self.acc.num_processes > 1:
            broadcast_object_list(holder, from_process=0)
        if holder[1] is not None:  # every rank stops with rank 0's reason (none would wait forever)
            raise error if error is not None else RuntimeError(f"rank 0 refused to resume: {holder[1]}")
        if holder[0] is None:
            return
        if ckpt is None:
            ckpt = read_checkpoint(Path(holder[0]), self.acc.process_index)
        self.codec_raw.load_state_dict(ckpt["weights"]["codec"])
        if len(self.discs_raw):
            self.discs_raw.load_state_dict(ckpt["weights"]["discriminators"])
        if self.ema is not None:
            self.ema.shadow.load_state_dict(ckpt["weights"].get("codec_ema", ckpt["weights"]["codec"]))
        objects, state = ckpt["objects"], ckpt["state"]
        self.opt_g.load_state_dict(objects["opt_g"])
        self.sched_g.load_state_dict(objects["sched_g"])
        if self.opt_d is not None:
            self.opt_d.load_state_dict(objects["opt_d"])
            self.sched_d.load_state_dict(objects["sched_d"])
        if self.acc.scaler is not None and "scaler" in objects:
            self.acc.scaler.load_state_dict(objects["scaler"])
        if self.balancer is not None and "balancer" in objects:
            self.balancer.load_state_dict(objects["balancer"])
        self.step, self.epoch, self.batch_in_epoch = state["step"], state["epoch"], state["batch_in_epoch"]
        self.nonfinite_run, self.nonfinite_total = state["nonfinite_run"], state["nonfinite_total"]
        if self.ema is not None:
            self.ema.updates = state["ema_updates"]
        self._restore_rng(ckpt["rng"], state)
        self.resumed_from = holder[0]
        if self.acc.is_main_process:
            truncate_jsonl(self.run_dir / METRICS_FILE, self.step)
        if self.acc.is_main_process:  # once per run, not once per process
            log.info("resumed from %s at step %d (epoch %d, batch %d)", holder[0], self.step, self.epoch,
                     self.batch_in_epoch)

    def _restore_rng(self, rng, state) -> None:
        if rng is not None and state["world_size"] == self.acc.num_processes:
            restore_rng(rng)
            return
        log.warning("checkpoint written by %d process(es), resumed on %d: RNG streams reseeded, so the run "
                    "continues correctly but not bit-identically", state["world_size"], self.acc.num_processes)
        builders.seed_everything(int(self.cfg.seed) + 1000 * self.step + self.acc.process_index)

    # ------------------------------------------------------------------ logging
    def log_train(self, bar=None) -> None:
        """Averages the window's values over steps and processes, then logs them (collective)."""
        names = sorted(self._window)
        steps = max(self._window_steps, 1)
        values = {}
        if names:
            stacked = torch.stack([self._window[k].to(self.acc.device) for k in names]) / steps
            reduced = self.acc.reduce(stacked, reduction="mean").tolist()
            values = dict(zip(names, reduced))
        elapsed = max(time.perf_counter() - self._window_start, 1e-9)
        world = self.acc.num_processes
        values["steps_per_s"] = self._window_steps / elapsed
        values["audio_s_per_s"] = values["steps_per_s"] * self._audio_seconds_per_step() * world
        values["lr/generator"] = self.sched_g.get_last_lr()[0]
        if self.sched_d is not None:
            values["lr/discriminator"] = self.sched_d.get_last_lr()[0]
        values["nonfinite/skipped"] = float(self.nonfinite_total)
        self.logger.log(self.step, "train", values)
        if bar is not None and "loss/total" in values:
            bar.set_postfix(loss=f"{values['loss/total']:.3f}", steps_s=f"{values['steps_per_s']:.2f}")
        self._window, self._window_steps, self._window_start = {}, 0, time.perf_counter()

    def _audio_seconds_per_step(self) -> float:
        return self.data.batch_size * float(self.data.segment_seconds) * int(self.cfg.trainer.grad_accum_steps)

    # ------------------------------------------------------------------ validation and demos
    def _on_main_with_eval_model(self, fn):
        """Run fn(model) on the main process, in eval mode, without touching the training RNG streams."""
        if self.acc.is_main_process:
            model, rng = self.eval_model(), capture_rng()
            was_training = model.training
            model.eval()
            try:
                fn(model)
            finally:
                model.train(was_training)
                restore_rng(rng)
        self.acc.wait_for_everyone()

    def validate(self) -> None:
        t = self.cfg.trainer

        def run(model):
            loader = builders.build_eval_loader(self.valid_set, self.data)
            values = validation.validation_losses(model, loader, self.recon, self.acc.device, t.val_batches)
            values = {f"loss/{k}": v for k, v in values.items()}
            if list(t.val_metrics) and int(t.val_items) > 0:
                refs, ests = validation.reconstruct_items(model, self.valid_set, int(t.val_items), self.acc.device)
                values.update(validation.score_metrics(refs, ests, model.sample_rate, list(t.val_metrics)))
            self.logger.log(self.step, "valid", values)
            self.last_validation = {k: float(v) for k, v in values.items()}

        self._on_main_with_eval_model(run)

    def demo(self) -> None:
        def run(model):
            import matplotlib.pyplot as plt
            import soundfile as sf

            refs, ests = validation.reconstruct_items(model, self.valid_set, 1, self.acc.device)
            out_dir = self.run_dir / "demos"
            out_dir.mkdir(exist_ok=True)
            stem = f"step_{self.step:08d}"
            fig = validation.spectrogram_figure(refs[0], ests[0], model.sample_rate, title=f"step {self.step}")
            fig.savefig(out_dir / f"{stem}.png", dpi=80)
            sf.write(out_dir / f"{stem}_input.wav", refs[0].T, model.sample_rate)
            sf.write(out_dir / f"{stem}_output.wav", ests[0].T, model.sample_rate)
            self.logger.log_media(self.step, {"input": refs[0], "output": ests[0]}, model.sample_rate,
                                  {"spectrogram": fig})
            plt.close(fig)

        self._on_main_with_eval_model(run)

    # ------------------------------------------------------------------ the end
    def _state_digest(self) -> dict[str, str]:
        """SHA-1 of the parameters and, separately, of the buffers (codebooks) of codec + discriminators."""
        out = {}
        for kind in ("parameters", "buffers"):
            h = hashlib.sha1()
            for module in (self.codec_raw, self.discs_raw):
                for name, tensor in getattr(module, f"named_{kind}")():
                    h.update(name.encode())
                    h.update(tensor.detach().cpu().contiguous().view(torch.uint8).numpy().tobytes())
            out[kind] = h.hexdigest()
        return out

    def finish(self) -> dict:
        """Export codec.safetensors (EMA weights when use_ema) + config.yaml; write summary.json with each
        rank's weight digest (equal digests = the processes stayed in sync)."""
        digests = gather_object([self._state_digest()]) if self.acc.num_processes > 1 else [self._state_digest()]
        summary = {"step": self.step, "world_size": self.acc.num_processes, "rank_digests": digests,
                   "ranks_in_sync": all(d == digests[0] for d in digests), "nonfinite_skipped": self.nonfinite_total,
                   "resumed_from": self.resumed_from, "ema": self.ema is not None,
                   "stopped_on": self.stopped_on, "start_step": self.start_step,
                   "step_seconds": self.step_seconds, "train_seconds": self.train_seconds,
                   "validation": getattr(self, "last_validation", {})}
        if self.acc.is_main_process:
            self.eval_model().save(self.run_dir / WEIGHTS_FILE)
            self.write_config()
            (self.run_dir / SUMMARY_FILE).write_text(json.dumps(summary, indent=1))
            if not summary["ranks_in_sync"]:
                log.error("the processes ended with different weights: %s", digests)
        self.logger.close()
        self.acc.wait_for_everyone()
        return summary
