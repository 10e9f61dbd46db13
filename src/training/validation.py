"""Validation (loss terms over the valid split, codec metrics on a few clips) and demos
(reconstructed audio and an input-vs-output spectrogram image). Run on the main process only."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import islice

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader

from src.nn.spectral import stft
from src.training.steps import length_masks


def check_metrics_available(metrics: Sequence[str]) -> None:
    """Fail before training, not at the first validation, when the metric suite cannot be imported.

    src.train's start-up checks (config_checks.check_val_metrics) already refuse such a config, and a named
    metric whose class does not import, as a ConfigError; this guard covers a Trainer built directly.
    Optional packages a metric calls (pesq, pystoi, ...) load when it first scores: a missing one is logged
    as that metric's reason in the validation results, not raised."""
    if not metrics:
        return
    try:
        from src.metrics.suite import score_pairs  # noqa: F401
    except ImportError as err:
        raise ImportError(
            f"trainer.val_metrics={list(metrics)} needs src.metrics.suite.score_pairs ({err}); "
            "set trainer.val_metrics=[] to validate on the loss terms only"
        ) from err


@torch.no_grad()
def validation_losses(
    codec: nn.Module,
    loader: DataLoader,
    reconstruction: Mapping[str, nn.Module],
    device: torch.device,
    max_batches: int | None,
) -> dict[str, float]:
    """Mean over batches of each reconstruction term and quantizer aux term; padding is masked out."""
    sums: dict[str, float] = {}
    n = 0
    for batch in islice(loader, max_batches):
        wav, lengths = batch["wav"].to(device), batch["lengths"].to(device)
        frame_mask, sample_mask = length_masks(lengths, wav.shape[-1], codec.hop_length)
        out = codec(wav, mask=frame_mask)
        wav_hat = out.wav_hat.float() * sample_mask
        terms = {name: fn(wav_hat, wav) for name, fn in reconstruction.items()}
        terms.update(out.aux_losses)
        for name, value in terms.items():
            sums[name] = sums.get(name, 0.0) + float(value)
        n += 1
    if n == 0:
        raise ValueError("the valid split yielded no batch: check data.* (valid files) or trainer.val_batches")
    return {name: total / n for name, total in sums.items()}


@torch.no_grad()
def reconstruct_items(codec: nn.Module, dataset, n_items: int, device: torch.device):
    """-> (refs, ests): lists of (C, T) float arrays for the first n_items of `dataset`, one at a time
    (no padding, so each clip is scored on its own length)."""
    refs, ests = [], []
    for i in range(min(n_items, len(dataset))):
        wav = dataset[i]["wav"].to(device)
        est = codec(wav[None]).wav_hat[0]
        refs.append(wav.float().cpu().numpy())
        ests.append(est.float().cpu().numpy())
    return refs, ests


def score_metrics(refs, ests, sample_rate: int, metrics: Sequence[str]) -> dict[str, float]:
    """src.metrics.suite.score_pairs -> {"<metric>": mean, "<metric>/n": items scored,
    "<metric>/codec_failed": how many of them are a failed decode scored at the metric's worst value}."""
    if not metrics:
        return {}
    from src.metrics.suite import score_pairs

    scores = score_pairs(refs, ests, sample_rate, metrics=tuple(metrics))
    flat = {}
    for name, agg in scores.items():
        if agg.get("mean") is not None and np.isfinite(agg["mean"]):
            flat[name] = float(agg["mean"])
        flat[f"{name}/n"] = float(agg.get("n", 0))
        flat[f"{name}/codec_failed"] = float(agg.get("codec_failed", 0))
    return flat


def spectrogram_figure(ref: np.ndarray, est: np.ndarray, sample_rate: int, title: str = ""):
    """ref, est: (C, T) -> matplotlib Figure with the two log-magnitude STFTs stacked (input above)."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 1, figsize=(8, 5), sharex=True)
    for ax, wav, name in zip(axes, (ref, est), ("input", "output")):
        x = torch.from_numpy(np.asarray(wav, dtype=np.float32).mean(0))
        n_fft = 512 if x.numel() >= 512 else 64
        spec = stft(x, n_fft, n_fft // 4, torch.hann_window(n_fft), "center_full", "reflect").abs()
        db = 20 * torch.log10(spec.clamp_min(1e-5))
        ax.imshow(
            db.numpy(),
            origin="lower",
            aspect="auto",
            cmap="magma",
            vmin=float(db.max()) - 80,
            extent=(0, x.numel() / sample_rate, 0, sample_rate / 2),
        )
        ax.set_ylabel(f"{name}\nHz")
    axes[-1].set_xlabel("s")
    fig.suptitle(title)
    fig.tight_layout()
    return fig
