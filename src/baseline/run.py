"""A reference codec run on a data split: encode/decode every item, write decoded audio, score it with
the evaluator's directory-pair mode (src.evaluate), and add the measured bitrate to metrics.json.

Results are cached under $CODECLAB_DATA/baselines/ keyed on every input (audio content, codec,
encoder version, bitrate, metrics), so a rerun with the same inputs reuses them and any change
recomputes them.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

import numpy as np
from omegaconf import OmegaConf

from src.baseline.opus import measure, vendor
from src.data.audio import write_audio

VERSION = 1  # bump when the recipe below changes: cached results keyed on an older one are recomputed
KEY_FILE = "baseline.json"  # written last: marks a complete result and holds its key
REPO_ROOT = Path(__file__).resolve().parents[2]
CONF_DIR = REPO_ROOT / "conf"
CALIBRATION_TOL = 0.02  # stop calibrating once the measured bitrate is within 2% of the request
CALIBRATION_STEPS = 4  # encode passes at most; libopus VBR lands within ~3% of its target at once


def cache_root() -> Path:
    base = os.environ.get("CODECLAB_DATA")
    return (Path(base).expanduser() if base else REPO_ROOT / "data_cache") / "baselines"


def stem(item: str) -> str:
    """Decoded/reference file path for an item name (its extension replaced by .wav)."""
    return str(Path(item).with_suffix(".wav"))


def input_key(items: list[dict], sample_rate: int, spec: dict) -> dict:
    """Everything the result depends on; `spec` holds codec, encoder, bitrate, split, metrics."""
    digest = hashlib.sha256()
    for it in items:
        wav = np.ascontiguousarray(it["wav"].numpy(), dtype=np.float32)
        digest.update(it["item"].encode() + str(wav.shape).encode() + wav.tobytes())
    return {
        "version": VERSION,
        **spec,
        "sample_rate": sample_rate,
        "n_items": len(items),
        "audio_sha256": digest.hexdigest(),
    }


def key_hash(key: dict) -> str:
    return hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:12]


def read_key(path: Path) -> dict | None:
    try:
        return json.loads((path / KEY_FILE).read_text())["key"]
    except (OSError, ValueError, KeyError):
        return None


def calibrate(encoder, items: list[dict], sample_rate: int, bitrate: float, calibrate_on: bool):
    """Encode the split at the target whose measured payload bitrate is nearest `bitrate`.

    The libopus VBR target starts at the request; each further pass scales it by
    requested / measured (clamped to the encoder's range) -> (round trips, measurement, tries)."""
    channels = items[0]["wav"].shape[0]
    seconds = sum(it["wav"].shape[-1] for it in items) / sample_rate
    target, tries, best = float(bitrate), [], None
    for _ in range(CALIBRATION_STEPS if calibrate_on else 1):
        trips = [encoder.roundtrip(it["wav"].numpy(), sample_rate, target) for it in items]
        stats = measure([t.data for t in trips], seconds)
        tries.append({**encoder.setting(target, channels), "bitrate_measured": stats["bitrate_measured"]})
        error = abs(stats["bitrate_measured"] - bitrate)
        if best is None or error < best[0]:
            best = (error, trips, stats, tries[-1])
        if error <= CALIBRATION_TOL * bitrate:
            break
        new = min(256000.0 * channels, max(6000.0 * channels, target * bitrate / stats["bitrate_measured"]))
        if encoder.setting(new, channels) == encoder.setting(target, channels):
            break  # at the encoder's floor or ceiling: nothing nearer is reachable
        target = new
    _, trips, stats, chosen = best
    return trips, {**stats, **chosen, "seconds": seconds}, tries


def write_split(out: Path, items: list[dict], trips, sample_rate: int) -> None:
    """<out>/reference (the items as the evaluator sees them), /decoded, /encoded (.opus files)."""
    for it, trip in zip(items, trips):
        ref = it["wav"].numpy()
        if trip.audio.shape != ref.shape:
            raise RuntimeError(f"{it['item']}: decoded shape {trip.audio.shape} != reference {ref.shape}")
        write_audio(out / "reference" / stem(it["item"]), ref, sample_rate, subtype="FLOAT")
        write_audio(out / "decoded" / stem(it["item"]), trip.audio, sample_rate, subtype="FLOAT")
        enc = (out / "encoded" / it["item"]).with_suffix(".opus")
        enc.parent.mkdir(parents=True, exist_ok=True)
        enc.write_bytes(trip.data)


def score(out: Path, metrics, num_workers, chunk_size) -> dict:
    """`python -m src.evaluate reference_dir=<out>/reference decoded_dir=<out>/decoded` -> metrics.json."""
    from src.evaluate import evaluate

    base = OmegaConf.load(CONF_DIR / "evaluate.yaml")
    for key in ("defaults", "hydra"):
        base.pop(key, None)
    cfg = OmegaConf.merge(
        base,
        {
            "reference_dir": str(out / "reference"),
            "decoded_dir": str(out / "decoded"),
            "output_dir": str(out / "eval"),
            "num_workers": num_workers,
            "chunk_size": chunk_size,
            "metrics": metrics,
        },
    )
    return evaluate(cfg)


def compute(out: Path, items: list[dict], sample_rate: int, key: dict, encoder, opts: dict) -> dict:
    """Run the codec on `items` into `out` (an incomplete one, without KEY_FILE, is cleared), score
    the pairs, then write the bitrate section and KEY_FILE last."""
    if out.exists():
        if read_key(out) is not None:
            raise FileExistsError(f"{out} already holds a finished baseline result; not overwriting it")
        shutil.rmtree(out)  # an interrupted run of the same key
    trips, stats, tries = calibrate(encoder, items, sample_rate, key["bitrate"], key["calibrate"])
    write_split(out, items, trips, sample_rate)
    result = score(out, key["metrics"], opts["num_workers"], opts["chunk_size"])
    result["bitrate"] = {
        "bitrate_nominal": float(key["bitrate"]),
        **stats,
        "calibration": tries,
        "codec": key["codec"],
        "encoder": key["encoder_version"],
        "opus_vendor": vendor(trips[0].data),
        "n_items": len(items),
    }
    result["config"]["baseline"] = key
    (out / "eval" / "metrics.json").write_text(json.dumps(result, indent=2))
    (out / KEY_FILE).write_text(json.dumps({"key": key}, indent=1))
    return result


def link_tree(src: Path, dst: Path) -> None:
    """Materialise a cached result at `dst` with hard links (copies across file systems)."""

    def link(a, b):
        try:
            os.link(a, b)
        except OSError:
            shutil.copy2(a, b)

    shutil.copytree(src, dst, copy_function=link, dirs_exist_ok=True)
