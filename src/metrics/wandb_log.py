"""W&B logging of an evaluation: summary means, the per-item table, and a few audio examples with spectrograms."""

from __future__ import annotations

from pathlib import Path

import numpy as np


def _spectrogram(ref: np.ndarray, est: np.ndarray, sample_rate: int):
    """-> a matplotlib figure: log-magnitude spectrograms of reference (top) and decoded (bottom)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 1, figsize=(8, 5), sharex=True)
    for ax, x, title in zip(axes, (ref, est), ("reference", "decoded")):
        ax.specgram(x.mean(axis=0), NFFT=1024, Fs=sample_rate, noverlap=768, cmap="magma")
        ax.set_title(title)
    fig.tight_layout()
    return fig


def log_wandb(
    result: dict,
    rows: list[dict],
    jobs: list,
    names: list[str],
    out_dir: Path,
    project: str = "codeclab",
    mode: str = "offline",
    n_examples: int = 4,
    **_,
) -> None:
    """Log one evaluation as a W&B run in `out_dir` (offline by default)."""
    import wandb

    from src.metrics.suite import _load

    run = wandb.init(project=project, mode=mode, dir=str(out_dir), job_type="evaluate", config=result["config"])
    for name, agg in result["metrics"].items():
        if agg["mean"] is not None:
            run.summary[f"eval/{name}"] = agg["mean"]
        run.summary[f"eval/{name}_n_excluded"] = agg["n_excluded"]
        run.summary[f"eval/{name}_codec_failed"] = agg.get("codec_failed", 0)
    for key, value in (result.get("bitrate") or {}).items():
        if isinstance(value, (int, float)):
            run.summary[f"eval/{key}"] = value
    columns = ["item"] + names
    table = wandb.Table(
        columns=columns,
        data=[[row["item"]] + [row.get(n) if not isinstance(row.get(n), str) else None for n in names] for row in rows],
    )
    logged = {"eval/per_item": table}
    for job in jobs[:n_examples]:
        ref, est, sr = _load(job)
        fig = _spectrogram(ref, est, sr)
        logged[f"eval/examples/{job.item}/reference"] = wandb.Audio(ref.mean(axis=0), sample_rate=sr)
        logged[f"eval/examples/{job.item}/decoded"] = wandb.Audio(est.mean(axis=0), sample_rate=sr)
        logged[f"eval/examples/{job.item}/spectrogram"] = wandb.Image(fig)
        import matplotlib.pyplot as plt

        plt.close(fig)
    run.log(logged)
    run.finish()
