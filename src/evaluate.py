"""Evaluate a codec (or any codec's decoded audio) with the metric suite: `python -m src.evaluate ...`.

Writes metrics.json, per_item.csv (and optionally W&B logs) into the output directory and prints a
table. Only this module sees the DictConfig; metrics take plain arguments.
"""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import hydra
from omegaconf import DictConfig, OmegaConf

from src.config import register_resolvers
from src.data.audio import AUDIO_EXTENSIONS
from src.metrics.rtf import NAMES as RTF_NAMES
from src.metrics.suite import (
    HIGHER_IS_BETTER,
    Job,
    aggregate_rows,
    check_names,
    failed_key,
    score_jobs,
)

NO_CODEC = "not measured: directory-pair mode has no codec"


# ------------------------------------------------------------------ directory-pair mode
def pair_jobs(reference_dir: str | Path, decoded_dir: str | Path, max_items: int | None = None):
    """Match decoded files to references by relative path (extension may differ).

    -> (jobs, missing): jobs for matched pairs; `missing` the references without a decoded file.
    """
    ref_root, dec_root = Path(reference_dir), Path(decoded_dir)
    for key, root in (("reference_dir", ref_root), ("decoded_dir", dec_root)):
        if not root.is_dir():
            raise FileNotFoundError(f"{key}={root} is not a directory")
    refs = sorted(p for p in ref_root.rglob("*") if p.suffix.lower() in AUDIO_EXTENSIONS)
    if not refs:
        raise FileNotFoundError(f"reference_dir={ref_root} holds no audio ({', '.join(sorted(AUDIO_EXTENSIONS))})")
    decoded = {
        p.relative_to(dec_root).with_suffix(""): p for p in dec_root.rglob("*") if p.suffix.lower() in AUDIO_EXTENSIONS
    }
    jobs, missing = [], []
    for ref in refs[:max_items] if max_items else refs:
        rel = ref.relative_to(ref_root)
        est = decoded.get(rel.with_suffix(""))
        if est is None:
            missing.append(str(rel))
        else:
            jobs.append(Job(str(rel), str(ref), str(est)))
    return jobs, missing


# ------------------------------------------------------------------ codec mode
def codec_jobs(cfg: DictConfig, names: list[str]):
    """Load the codec (run_dir or checkpoint) and the split's items (cfg.data, else the run's data
    config), then run_codec -> (jobs, {item: rtf row}, bitrate summary)."""
    from src.build import load_codec, load_run_config
    from src.codec import CONFIG_FILE
    from src.safe_instantiate import safe_instantiate

    source, trusted = Path(cfg.run_dir or cfg.checkpoint), list(cfg.get("trusted_targets") or [])
    codec = load_codec(source, trusted_targets=trusted).to(cfg.device)  # the run's config is data: allowlisted
    run_cfg = load_run_config((source if source.is_dir() else source.parent) / CONFIG_FILE, trusted)
    if cfg.get("data"):  # replace the run's data config; ${sample_rate} etc. resolve against the run's
        OmegaConf.update(run_cfg, "data", OmegaConf.to_container(cfg.data, resolve=False), merge=False)
    items = list(safe_instantiate(run_cfg.data, "data", trusted).split(cfg.split))[: cfg.max_items or None]
    return run_codec(codec, items, cfg.batch_size, names, cfg.device)


def run_codec(codec, items: list[dict], batch_size: int, names, device: str = "cpu"):
    """Encode/decode `items` ({"wav": (C, T), "item": str, ...}) in padded batches.

    -> (jobs with (ref, est) arrays cropped to each item's length, {item: {rtf_*: value}},
    bitrate summary over the codes of valid frames only).
    """
    from src.data.datasets import collate
    from src.metrics.bitrate import CodeStats
    from src.metrics.rtf import real_time_factor, timed

    stats = CodeStats(codec.codebook_sizes(), codec.frame_rate) if codec.is_discrete else None
    jobs, rtf_rows = [], {}
    if items:  # untimed warm-up (CUDA context, kernel selection, lazy init) so batch 1's RTF is not inflated
        warm = collate(items[:batch_size])["wav"].to(device)
        codec.decode(codec.encode(warm), length=warm.shape[-1])
    for start in range(0, len(items), batch_size):
        batch = collate(items[start : start + batch_size])
        wav, lengths = batch["wav"].to(device), batch["lengths"]
        codes, t_enc = timed(codec.encode, wav)
        wav_hat, t_dec = timed(codec.decode, codes, length=wav.shape[-1])
        seconds = float(lengths.sum()) / codec.sample_rate
        rtf = {"rtf_encode": real_time_factor(t_enc, seconds), "rtf_decode": real_time_factor(t_dec, seconds)}
        if stats is not None:
            stats.update(codes.cpu().numpy(), [math.ceil(int(n) / codec.hop_length) for n in lengths])
        for b, name in enumerate(batch["item"]):
            n = int(lengths[b])
            ref, est = wav[b, :, :n].float().cpu().numpy(), wav_hat[b, :, :n].float().cpu().numpy()
            jobs.append(Job(name, ref, est, codec.sample_rate))
            rtf_rows[name] = {k: v for k, v in rtf.items() if k in names}
    bitrate = stats.summary() if stats is not None else {"bitrate_nominal": None, "continuous": True}
    return jobs, rtf_rows, bitrate


# ------------------------------------------------------------------ outputs
def write_outputs(out_dir: Path, rows: list[dict], names: list[str], bitrate: dict, config: dict) -> dict:
    """-> the metrics.json dict; also writes per_item.csv (item, <metric>, <metric>_error columns; a failed
    decode has its worst-value score AND "codec failed: <reason>" in the error column)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    result = {"metrics": aggregate_rows(rows, names), "bitrate": bitrate, "config": config}
    (out_dir / "metrics.json").write_text(json.dumps(result, indent=2))
    columns = ["item"] + [c for n in names for c in (n, f"{n}_error")]
    with open(out_dir / "per_item.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=columns)
        writer.writeheader()
        for row in rows:
            out = {"item": row["item"]}
            for n in names:
                value = row.get(n, "not scored")
                out[n], out[f"{n}_error"] = ("", value) if isinstance(value, str) else (f"{value:.10g}", "")
                if failed_key(n) in row:
                    out[f"{n}_error"] = f"codec failed: {row[failed_key(n)]} (scored the worst value)"
            writer.writerow(out)
    return result


def format_table(result: dict) -> str:
    lines = [f"{'metric':<14}{'mean':>10}{'± ci95':>10}{'n':>6}{'excl':>6}{'failed':>8}  better"]
    for name, agg in result["metrics"].items():
        mean = "-" if agg["mean"] is None else f"{agg['mean']:.4g}"
        ci = "-" if agg["ci95"] is None else f"{agg['ci95']:.3g}"
        better = "higher" if name in HIGHER_IS_BETTER else "lower"
        failed = agg.get("codec_failed", 0)
        lines.append(f"{name:<14}{mean:>10}{ci:>10}{agg['n']:>6}{agg['n_excluded']:>6}{failed:>8}  {better}")
    if any(agg.get("codec_failed") for agg in result["metrics"].values()):
        lines.append(
            "failed = decoded signals that were empty, non-finite or silent, scored at the metric's worst "
            "value (counted in n)"
        )
    br = result.get("bitrate") or {}
    if br.get("bitrate_nominal") is not None:
        lines.append(f"bitrate: nominal {br['bitrate_nominal']:.1f} bit/s, entropy {br['bitrate_entropy']:.1f} bit/s")
    return "\n".join(lines)


# ------------------------------------------------------------------ entry point
def evaluate(cfg: DictConfig) -> dict:
    """Run one evaluation as configured -> the metrics.json dict."""
    names = check_names(cfg.metrics.names)
    options = OmegaConf.to_container(cfg.metrics.options, resolve=True) if "options" in cfg.metrics else {}
    pair_mode = cfg.reference_dir is not None or cfg.decoded_dir is not None
    codec_mode = cfg.run_dir is not None or cfg.checkpoint is not None
    if pair_mode == codec_mode or (pair_mode and not (cfg.reference_dir and cfg.decoded_dir)):
        raise ValueError("choose one mode: run_dir=<run> | checkpoint=<file> | reference_dir=<dir> decoded_dir=<dir>")
    if pair_mode:
        jobs, missing = pair_jobs(cfg.reference_dir, cfg.decoded_dir, cfg.max_items)
        extra = {n: {k: NO_CODEC for k in RTF_NAMES if k in names} for n in [j.item for j in jobs]}
        bitrate: dict = {}
    else:
        (jobs, extra, bitrate), missing = codec_jobs(cfg, names), []
    rows = score_jobs(jobs, names, options, cfg.num_workers, cfg.chunk_size)
    for row in rows:
        row.update(extra.get(row["item"], {}))
    rows += [{"item": m, **{n: "missing decoded file" for n in names}} for m in missing]
    out_dir = Path(cfg.output_dir or (Path(cfg.run_dir) / "eval" if cfg.run_dir else _hydra_dir()))
    config = {**OmegaConf.to_container(cfg, resolve=True), "versions": library_versions()}
    result = write_outputs(out_dir, rows, names, bitrate, config)
    print(format_table(result))
    print(f"wrote {out_dir / 'metrics.json'} and {out_dir / 'per_item.csv'}")
    if cfg.logger.wandb:
        from src.metrics.wandb_log import log_wandb

        log_wandb(result, rows, jobs, names, out_dir, **OmegaConf.to_container(cfg.logger))
    return result


def library_versions() -> dict[str, str | None]:
    """Versions of the libraries that define the numbers, so two labs can tell why theirs differ."""
    from importlib.metadata import PackageNotFoundError, version

    found = {}
    for pkg in (
        "pesq",
        "pystoi",
        "resemblyzer",
        "librosa",
        "soxr",
        "numpy",
        "scipy",
        "torch",
        "speechmos",
        "onnxruntime",
        "pocketsphinx",
    ):
        try:
            found[pkg] = version(pkg)
        except PackageNotFoundError:
            found[pkg] = None
    return found


def _hydra_dir() -> Path:
    from hydra.core.hydra_config import HydraConfig

    try:
        return Path(HydraConfig.get().runtime.output_dir)
    except ValueError:  # called outside @hydra.main (tests, notebooks)
        from datetime import datetime

        return Path("outputs/eval") / datetime.now().strftime("%Y-%m-%d/%H-%M-%S")


register_resolvers()  # before @hydra.main composes conf/ (a data override may use ${prod:...})


@hydra.main(config_path="../conf", config_name="evaluate", version_base="1.3")
def main(cfg: DictConfig) -> None:
    from src.safe_instantiate import UnsafeTargetError

    try:
        evaluate(cfg)
    except UnsafeTargetError as err:  # a refused run config: the key, the target and the fix, no traceback
        raise SystemExit(f"src.evaluate: {err}") from None


if __name__ == "__main__":
    main()
