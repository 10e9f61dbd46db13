"""A codeclab run directory "trained here" (random init) for the export round trips."""

from __future__ import annotations

import torch

from src.build import build_codec
from src.compose import compose_train_config
from src.convert import ConvertedCheckpoint
from src.convert.__main__ import write_run_dir


def make_run(preset: str, overrides: list[str], out, seed: int = 0):
    """Build preset + overrides at random init (EMA codebooks filled, as after training) -> run dir."""
    torch.manual_seed(seed)
    codec = build_codec(compose_train_config([f"preset={preset}", *overrides]))
    for layer in getattr(codec.quantizer, "layers", []):
        cb = getattr(layer, "codebook", None)
        if hasattr(cb, "embed_sum"):  # an EMA codebook: zeros until k-means on the first batch
            cb.embed.normal_()
            cb.embed_sum.copy_(cb.embed)
            cb.cluster_size.fill_(1.0)
            cb.initted.fill_(True)
    write_run_dir(ConvertedCheckpoint(preset, overrides, codec.state_dict()), out)
    return out
