"""`python -m src.summary [overrides] [format=json]`: parameter counts, hop, frame rate and bitrate.

Builds the composed codec (on the meta device: no memory is allocated for weights) and prints a table,
or with `format=json` one JSON object (scripts rely on its keys):
{"sample_rate", "hop_length", "frame_rate", "n_codebooks", "codebook_size", "bitrate_bps",
 "params": {"encoder", "quantizer", "decoder", "head", "total"}, "discriminators": {name: params}}.
Generator counts are TRAINABLE parameters (EMA codebooks are buffers and count 0).
"""

from __future__ import annotations

import json
import sys

import torch
from torch import nn

from src.build import build_codec, build_discriminators
from src.compose import compose_train_config


def trainable(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters() if p.requires_grad)


def summarize(overrides: list[str]) -> dict:
    """Compose with the overrides and count; returns the JSON-shaped dict."""
    cfg = compose_train_config(overrides)
    with torch.device("meta"):
        codec = build_codec(cfg)
        discs = build_discriminators(cfg)
    params = {name: trainable(getattr(codec, name)) for name in ("encoder", "quantizer", "decoder", "head")}
    params["total"] = sum(params.values())
    sizes = codec.codebook_sizes()
    return {
        "sample_rate": codec.sample_rate,
        "hop_length": codec.hop_length,
        "frame_rate": codec.frame_rate,
        "n_codebooks": len(sizes),
        "codebook_size": (sizes[0] if len(set(sizes)) == 1 else sizes) if sizes else None,
        "bitrate_bps": codec.nominal_bitrate(),
        "params": params,
        "discriminators": {name: trainable(d) for name, d in discs.items()},
    }


def format_table(summary: dict) -> str:
    rows = [
        ("sample rate", f"{summary['sample_rate']} Hz"),
        ("hop length", str(summary["hop_length"])),
        ("frame rate", f"{summary['frame_rate']:.2f} Hz"),
        (
            "codebooks",
            f"{summary['n_codebooks']} x {summary['codebook_size']}" if summary["n_codebooks"] else "continuous",
        ),
        ("nominal bitrate", f"{summary['bitrate_bps']:.0f} bps" if summary["bitrate_bps"] else "-"),
    ]
    rows += [(f"params/{k}", f"{v:,}") for k, v in summary["params"].items()]
    rows += [(f"discriminator/{k}", f"{v:,}") for k, v in summary["discriminators"].items()]
    width = max(len(k) for k, _ in rows)
    return "\n".join(f"{k:<{width}}  {v:>16}" for k, v in rows)


def main(argv: list[str]) -> int:
    fmt = "table"
    overrides = []
    for arg in argv:
        if arg.startswith("format="):
            fmt = arg.split("=", 1)[1]
        else:
            overrides.append(arg)
    if fmt not in ("table", "json"):
        print(f"format={fmt!r}: choose format=table or format=json", file=sys.stderr)
        return 2
    summary = summarize(overrides)
    print(json.dumps(summary) if fmt == "json" else format_table(summary))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
