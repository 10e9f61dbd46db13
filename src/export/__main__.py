"""`python -m src.export format=<name> run_dir=<run> out=<file or dir>`: a codeclab codec in a published format.

The run's config.yaml is read as data (allowlisted, src/safe_instantiate.py); the format's exporter checks
that the architecture is one the target code can build and says which key differs when it is not.
"""

from __future__ import annotations

import sys
from pathlib import Path

from src.convert.__main__ import parse_args

USAGE = "usage: python -m src.export format=<name> run_dir=<run> out=<file or dir>"


def main(argv: list[str]) -> int:
    from src.build import load_codec, load_run_config
    from src.codec import CONFIG_FILE
    from src.export.registry import EXPORTERS

    args = parse_args(argv, ("format", "run_dir", "out"), USAGE)
    if args["format"] not in EXPORTERS:
        raise SystemExit(f"format={args['format']} is unknown; choose one of {sorted(EXPORTERS)}")
    out = Path(args["out"])
    if out.exists() and (out.is_file() or any(out.iterdir())):
        raise SystemExit(f"out={out} already exists: choose a new path (nothing is overwritten)")
    try:
        cfg = load_run_config(Path(args["run_dir"]) / CONFIG_FILE)
        codec = load_codec(args["run_dir"])
        EXPORTERS[args["format"]](codec, cfg, out)
    except (OSError, ValueError, KeyError) as err:  # the user's run or choice: the message, not a traceback
        raise SystemExit(f"src.export: {err}") from None
    print(f"{args['run_dir']} -> {out} ({args['format']})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
