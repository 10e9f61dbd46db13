"""`python -m src.convert source=<format> checkpoint=<file or dir> out=<run_dir>`.

Converts a published checkpoint into a codeclab run directory: codec.safetensors, the resolved
config.yaml (the preset the source's config describes, plus the converter's overrides),
discriminators.safetensors when the checkpoint holds them, and source.json (where it came from).
`load_codec(out)` (src.build), `python -m src.evaluate run_dir=<out>` and `trainer.init_from=<out>` read it.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from omegaconf import OmegaConf, open_dict

from src.codec import CONFIG_FILE, WEIGHTS_FILE
from src.convert import ConvertedCheckpoint
from src.convert.common import check_keys

DISCRIMINATORS_FILE = "discriminators.safetensors"
SOURCE_FILE = "source.json"
USAGE = "usage: python -m src.convert source=<format> checkpoint=<file or dir> out=<run_dir>"


def parse_args(argv: list[str], keys: tuple[str, ...], usage: str) -> dict[str, str]:
    """`key=value` arguments (the keys all required) -> dict; anything else is a clear error."""
    args = {}
    for arg in argv:
        key, sep, value = arg.partition("=")
        if not sep or key not in keys:
            raise SystemExit(f"unknown argument {arg!r}\n{usage}")
        args[key] = value
    missing = [k for k in keys if not args.get(k)]
    if missing:
        raise SystemExit(f"missing {', '.join(k + '=' for k in missing)}\n{usage}")
    return args


def write_run_dir(converted: ConvertedCheckpoint, out: str | Path) -> Path:
    """Build the preset + overrides, load the weights strictly, write the run directory -> its path.

    A directory that already holds files is refused (nothing written before is overwritten)."""
    from safetensors.torch import save_file

    from src.build import build_codec, build_discriminators
    from src.compose import compose_train_config

    out = Path(out)
    if out.exists() and any(out.iterdir()):
        raise FileExistsError(f"out={out} already holds files: choose a new directory")
    cfg = compose_train_config([f"preset={converted.preset}", *converted.overrides])
    with open_dict(cfg):
        cfg.run_dir = str(out)
    codec = build_codec(cfg)
    check_keys(converted.codec_state, codec.state_dict(), converted.source.get("file", "checkpoint"))
    codec.load_state_dict(converted.codec_state)
    discs = None
    if converted.discriminator_state is not None:  # checked before anything is written
        discs = build_discriminators(cfg)
        check_keys(converted.discriminator_state, discs.state_dict(), "discriminators")
        discs.load_state_dict(converted.discriminator_state)
    out.mkdir(parents=True, exist_ok=True)
    codec.save(out / WEIGHTS_FILE)
    if discs is not None:
        save_file({k: v.contiguous() for k, v in discs.state_dict().items()}, str(out / DISCRIMINATORS_FILE))
    (out / CONFIG_FILE).write_text(OmegaConf.to_yaml(cfg, resolve=True))
    record = {
        **converted.source,
        "preset": converted.preset,
        "overrides": converted.overrides,
        "parameters": sum(p.numel() for p in codec.parameters()),
    }
    (out / SOURCE_FILE).write_text(json.dumps(record, indent=1, default=str))
    return out


def main(argv: list[str]) -> int:
    from src.convert.registry import FORMATS

    args = parse_args(argv, ("source", "checkpoint", "out"), USAGE)
    if args["source"] not in FORMATS:
        raise SystemExit(f"source={args['source']} is unknown; choose one of {sorted(FORMATS)}")
    try:
        converted = FORMATS[args["source"]](Path(args["checkpoint"]))
        out = write_run_dir(converted, args["out"])
    except (OSError, ValueError, KeyError) as err:  # the user's file or choice: the message, not a traceback
        raise SystemExit(f"src.convert: {err}") from None
    print(
        f"{args['source']} {args['checkpoint']} -> {out} (preset={converted.preset} "
        f"{' '.join(converted.overrides)}); evaluate: python -m src.evaluate run_dir={out}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
