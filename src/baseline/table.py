"""The comparison table `make demo` ends with: a codec's eval/metrics.json beside reference codecs
(Opus runs of src.baseline), each with its nominal and measured bitrate and the mean scores.

`python -m src.baseline.table <run>/eval/metrics.json <opus dir or metrics.json> ...`
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

COLUMNS = (("pesq_wb", "PESQ-wb", 3), ("stoi", "STOI", 3), ("mel_distance", "mel dist", 3))
NOTE = (
    "measured bitrate: a learned codec's entropy bitrate (empirical code entropy); Opus's from the "
    "encoded file sizes,\n  Opus packets only (Ogg container excluded: +{overhead} on these clips)"
)


def metrics_path(arg: str | Path) -> Path:
    """A metrics.json path, or a run/baseline directory holding eval/metrics.json (or metrics.json)."""
    path = Path(arg)
    if path.is_dir():
        for candidate in (path / "eval" / "metrics.json", path / "metrics.json"):
            if candidate.is_file():
                return candidate
        raise FileNotFoundError(
            f"{path}: no eval/metrics.json or metrics.json in this directory "
            "(run `python -m src.evaluate` or `python -m src.baseline` first)"
        )
    if not path.is_file():
        raise FileNotFoundError(
            f"{path}: file not found (run `python -m src.evaluate` or `python -m src.baseline` to write it)"
        )
    return path


def row(path: Path) -> dict:
    """-> {label, nominal, measured, <metric>: mean} for one metrics.json."""
    result = json.loads(path.read_text())
    br = result.get("bitrate") or {}
    means = {k: (result.get("metrics", {}).get(k) or {}).get("mean") for k, _, _ in COLUMNS}
    if br.get("codec"):  # a reference codec run (src.baseline)
        backend = (result.get("config", {}).get("baseline") or {}).get("backend", "")
        label = f"{br['codec']} {br['bitrate_nominal'] / 1000:g} kbps {backend}".rstrip()
        measured, overhead = br.get("bitrate_measured"), br.get("container_overhead")
    else:  # a learned codec: the run directory above eval/
        run = path.parent.parent if path.parent.name == "eval" else path.parent
        label, measured, overhead = f"codec {run}", br.get("bitrate_entropy"), None
    n = (result.get("metrics", {}).get("pesq_wb") or {}).get("n")
    return {
        "label": label,
        "nominal": br.get("bitrate_nominal"),
        "measured": measured,
        "overhead": overhead,
        "n": n,
        **means,
    }


def _fmt(value, digits: int = 0) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def format_rows(rows: list[dict]) -> str:
    width = max(24, *(len(r["label"]) for r in rows)) + 2
    head = f"{'system':<{width}}{'nominal':>9}{'measured':>10}" + "".join(f"{t:>10}" for _, t, _ in COLUMNS)
    head += f"{'items':>7}"
    unit = f"{'':<{width}}{'bit/s':>9}{'bit/s':>10}" + "".join(f"{'mean':>10}" for _ in COLUMNS)
    lines = [head, unit]
    for r in rows:
        lines.append(
            f"{r['label']:<{width}}{_fmt(r['nominal']):>9}{_fmt(r['measured']):>10}"
            + "".join(f"{_fmt(r[k], d):>10}" for k, _, d in COLUMNS)
            + f"{_fmt(r['n']):>7}"
        )
    overheads = [r["overhead"] for r in rows if r["overhead"] is not None]
    if overheads:
        lo, hi = round(min(overheads)), round(max(overheads))
        lines.append(NOTE.format(overhead=f"{lo} bit/s" if lo == hi else f"{lo}-{hi} bit/s"))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if not args:
        print("usage: python -m src.baseline.table <run>/eval/metrics.json <opus dir> ...", file=sys.stderr)
        return 2
    try:
        rows = [row(metrics_path(a)) for a in args]
    except (FileNotFoundError, ValueError) as err:  # ValueError: a metrics.json that is not JSON
        print(f"error: {err}", file=sys.stderr)
        return 1
    print(format_rows(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
