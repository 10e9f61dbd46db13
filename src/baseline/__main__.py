"""`python -m src.baseline codec=opus bitrate=6000 [backend=opus-tools] [split=test] [data=...] [out=<dir>]`.

Opus (RFC 6716) on a data split, scored like `python -m src.evaluate reference_dir=... decoded_dir=...`.
Only this module sees the DictConfig.
"""

from __future__ import annotations

import fcntl
import json
from pathlib import Path

import hydra
from omegaconf import DictConfig, OmegaConf

from src.baseline.opus import get_encoder
from src.baseline.run import KEY_FILE, cache_root, compute, input_key, key_hash, link_tree, read_key
from src.config import register_resolvers
from src.evaluate import format_table
from src.metrics.suite import check_names

register_resolvers()  # before @hydra.main composes conf/ (the data configs use ${prod:...})
CODECS = ("opus",)


def load_items(cfg: DictConfig) -> list[dict]:
    """The split's items exactly as `src.evaluate` reads them: {"wav": (C, T), "item": str, ...}."""
    from hydra.utils import instantiate

    items = list(instantiate(cfg.data).split(cfg.split))[: cfg.max_items or None]
    if not items:
        raise ValueError(f"split={cfg.split} of the data config holds no item")
    return items


def run(cfg: DictConfig) -> tuple[Path, dict, bool]:
    """-> (result dir, metrics.json dict, whether it was reused from the cache without scoring).

    A cached result is reused only when its key matches every input (the audio included)."""
    if cfg.codec not in CODECS:
        raise ValueError(f"codec={cfg.codec} is unknown; choose from {list(CODECS)}")
    if not cfg.bitrate or cfg.bitrate <= 0:
        raise ValueError(f"bitrate={cfg.bitrate}: give a positive bitrate in bit/s (e.g. bitrate=6000)")
    check_names(cfg.metrics.names)
    encoder = get_encoder(cfg.backend)
    items = load_items(cfg)
    key = input_key(
        items,
        int(cfg.sample_rate),
        {
            "codec": cfg.codec,
            "backend": cfg.backend,
            "encoder_version": encoder.version(),
            "bitrate": float(cfg.bitrate),
            "calibrate": bool(cfg.calibrate),
            "split": cfg.split,
            "metrics": OmegaConf.to_container(cfg.metrics, resolve=True),
        },
    )
    cached = cache_root() / f"{cfg.codec}-{cfg.backend}-{cfg.split}-{int(cfg.bitrate)}-{key_hash(key)}"
    out = Path(cfg.out) if cfg.out else cached
    reused = read_key(out) == key or read_key(cached) == key
    if read_key(out) != key:
        if out.exists() and any(out.iterdir()) and out != cached:
            raise FileExistsError(
                f"out={out} holds other files ({KEY_FILE} absent or for other inputs); choose a new out= or remove it"
            )
        cached.parent.mkdir(parents=True, exist_ok=True)
        with open(cached.parent / f".{cached.name}.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # two `make demo`s at once compute a key only once
            if read_key(cached) != key:
                compute(
                    cached,
                    items,
                    int(cfg.sample_rate),
                    key,
                    encoder,
                    {"num_workers": cfg.num_workers, "chunk_size": cfg.chunk_size},
                )
        if out != cached:
            link_tree(cached, out)
    result = json.loads((out / "eval" / "metrics.json").read_text())
    return out, result, reused


def summary(out: Path, result: dict, reused: bool) -> str:
    """The bitrate lines (and, for a cached result, the metric table src.evaluate printed then)."""
    br = result["bitrate"]
    table = f"cached result (same inputs):\n{format_table({**result, 'bitrate': {}})}\n" if reused else ""
    return (
        f"{table}"
        f"opus ({br['encoder']}, {br['opus_vendor']}): nominal {br['bitrate_nominal']:.0f} bit/s, "
        f"measured {br['bitrate_measured']:.0f} bit/s payload, {br['bitrate_measured_file']:.0f} bit/s "
        f"with the Ogg container\nresult in {out}"
    )


@hydra.main(config_path="../../conf", config_name="baseline", version_base="1.3")
def main(cfg: DictConfig) -> None:
    print(summary(*run(cfg)))


if __name__ == "__main__":
    main()
