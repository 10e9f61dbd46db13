"""`python -m src.bench <name> [key=value ...]`: run one benchmark and write its JSON.

Each benchmark lives in src/benchmarks/<name>.py and exposes `main(overrides: list[str]) -> dict`,
writing its figures to bench/<name>.json unless `out=<path>` is given.
"""

from __future__ import annotations

import importlib
import json
import pkgutil
import sys

from src import benchmarks


def available() -> list[str]:
    return sorted(m.name for m in pkgutil.iter_modules(benchmarks.__path__) if not m.name.startswith("_"))


def main(argv: list[str]) -> int:
    names = available()
    if not argv or argv[0] in ("-h", "--help"):
        print(f"usage: python -m src.bench {{{','.join(names)}}} [key=value ...]")
        return 0 if argv else 2
    name, overrides = argv[0], argv[1:]
    if name not in names:
        print(f"unknown benchmark {name!r}; choose one of {names}", file=sys.stderr)
        return 2
    result = importlib.import_module(f"src.benchmarks.{name}").main(overrides)
    print(json.dumps(result, indent=2, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
