"""Periodic validation and demos of a run, on the main process, with the model to evaluate (the EMA one when
there is one); the loss and metric computations themselves live in src/training/validation.py."""

from __future__ import annotations

from pathlib import Path

from src.training import validation
from src.training.checkpoint import capture_rng, restore_rng
from src.training.loaders import build_eval_loader


class Validator:
    """acc: the Accelerator; data: the data module (for the eval loader); valid_set: its valid split;
    reconstruction: the loss terms; val_batches / val_items / val_metrics: conf/trainer's; run_dir: where
    demos/ is written."""

    def __init__(
        self,
        acc,
        data,
        valid_set,
        reconstruction,
        run_dir: Path,
        val_batches: int | None,
        val_items: int,
        val_metrics: tuple[str, ...],
    ) -> None:
        self.acc, self.data, self.valid_set, self.recon = acc, data, valid_set, reconstruction
        self.run_dir, self.val_batches = Path(run_dir), val_batches
        self.val_items, self.val_metrics = int(val_items), list(val_metrics)

    def _on_main(self, model, fn):
        """fn(model) on the main process, in eval mode, without touching the training RNG streams.
        -> fn's result on the main process, None elsewhere (every process waits for it)."""
        result = None
        if self.acc.is_main_process:
            rng, was_training = capture_rng(), model.training
            model.eval()
            try:
                result = fn(model)
            finally:
                model.train(was_training)
                restore_rng(rng)
        self.acc.wait_for_everyone()
        return result

    def validate(self, model, step: int, logger) -> dict[str, float] | None:
        """Loss terms over the valid split and metrics on a few clips, logged at `step`.
        -> {name: value} on the main process, None on the others."""

        def run(model):
            loader = build_eval_loader(self.valid_set, self.data)
            values = validation.validation_losses(model, loader, self.recon, self.acc.device, self.val_batches)
            values = {f"loss/{k}": v for k, v in values.items()}
            if self.val_metrics and self.val_items > 0:
                refs, ests = validation.reconstruct_items(model, self.valid_set, self.val_items, self.acc.device)
                values.update(validation.score_metrics(refs, ests, model.sample_rate, self.val_metrics))
            logger.log(step, "valid", values)
            return {k: float(v) for k, v in values.items()}

        return self._on_main(model, run)

    def demo(self, model, step: int, logger) -> None:
        """One reconstructed clip: demos/step_<n>_{input,output}.wav and an input-vs-output spectrogram."""

        def run(model):
            import matplotlib.pyplot as plt
            import soundfile as sf

            refs, ests = validation.reconstruct_items(model, self.valid_set, 1, self.acc.device)
            out_dir = self.run_dir / "demos"
            out_dir.mkdir(exist_ok=True)
            stem = f"step_{step:08d}"
            fig = validation.spectrogram_figure(refs[0], ests[0], model.sample_rate, title=f"step {step}")
            fig.savefig(out_dir / f"{stem}.png", dpi=80)
            sf.write(out_dir / f"{stem}_input.wav", refs[0].T, model.sample_rate)
            sf.write(out_dir / f"{stem}_output.wav", ests[0].T, model.sample_rate)
            logger.log_media(step, {"input": refs[0], "output": ests[0]}, model.sample_rate, {"spectrogram": fig})
            plt.close(fig)

        self._on_main(model, run)
