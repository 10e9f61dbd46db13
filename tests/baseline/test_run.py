"""`python -m src.baseline` end to end on a tiny real-speech split: decoded files, metrics.json schema,
the cache (reused for the same inputs, recomputed when an input changes) and `out=` handling."""

import csv
import json

import pytest
import soundfile as sf
import torch
from hydra import compose, initialize_config_dir

from src.baseline.__main__ import run, summary
from src.baseline.run import KEY_FILE, input_key

METRICS = "metrics.names=[pesq_wb,stoi,mel_distance]"  # the table's metrics; fast in-process


def _cfg(repo_root, speech_root, *overrides):
    args = ["data=folder", f"data.root={speech_root}", METRICS, "num_workers=0", *overrides]
    with initialize_config_dir(str(repo_root / "conf"), version_base="1.3"):
        return compose("baseline", overrides=args)


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("CODECLAB_DATA", str(tmp_path / "data"))
    return tmp_path / "data" / "baselines"


def test_run_writes_decoded_audio_and_metrics(repo_root, speech_root, speech_files, cache):
    out, result, reused = run(_cfg(repo_root, speech_root, "bitrate=8000"))
    assert not reused and out.parent == cache and (out / KEY_FILE).is_file()
    for ref in speech_files:  # same length and rate as the reference, one decoded file per item
        rel = ref.relative_to(speech_root)  # item names are paths under the data root
        dec = sf.info(str(out / "decoded" / rel))
        assert (dec.samplerate, dec.frames) == (16000, sf.info(str(ref)).frames)
        assert (out / "encoded" / rel).with_suffix(".opus").stat().st_size > 0
    on_disk = json.loads((out / "eval" / "metrics.json").read_text())
    assert on_disk == result and set(result) == {"metrics", "bitrate", "config"}
    for name in ("pesq_wb", "stoi", "mel_distance"):
        agg = result["metrics"][name]
        assert agg["n"] == len(speech_files) and agg["n_excluded"] == 0 and agg["mean"] is not None
    assert 1.0 < result["metrics"]["pesq_wb"]["mean"] < 4.7 and result["metrics"]["stoi"]["mean"] > 0.6
    br = result["bitrate"]
    assert br["bitrate_nominal"] == 8000 and abs(br["bitrate_measured"] - 8000) <= 2000
    assert br["bitrate_measured_file"] == pytest.approx(br["bitrate_measured"] + br["container_overhead"])
    assert br["codec"] == "opus" and br["encoder"].startswith("libsndfile") and br["calibration"]
    assert result["config"]["reference_dir"] == str(out / "reference")  # src.evaluate's pair mode
    with open(out / "eval" / "per_item.csv") as f:
        assert len(list(csv.DictReader(f))) == len(speech_files)
    assert "measured" in summary(out, result, reused)


def test_cache_is_reused_and_keyed_on_inputs(repo_root, speech_root, cache, tmp_path):
    first, _, _ = run(_cfg(repo_root, speech_root, "bitrate=6000", "max_items=2"))
    stamp = (first / KEY_FILE).stat().st_mtime_ns
    again, _, reused = run(_cfg(repo_root, speech_root, "bitrate=6000", "max_items=2"))
    assert reused and again == first and (first / KEY_FILE).stat().st_mtime_ns == stamp
    other, _, reused = run(_cfg(repo_root, speech_root, "bitrate=6000", "max_items=1"))
    assert not reused and other != first  # other items: another key
    out = tmp_path / "demo_run" / "opus-6000"  # out= gets the cached result without recomputing
    linked, _, reused = run(_cfg(repo_root, speech_root, "bitrate=6000", "max_items=2", f"out={out}"))
    assert reused and linked == out and (out / "eval" / "metrics.json").is_file()
    assert (out / KEY_FILE).read_text() == (first / KEY_FILE).read_text()
    with pytest.raises(FileExistsError, match="out="):  # never written over with other inputs
        run(_cfg(repo_root, speech_root, "bitrate=12000", "max_items=2", f"out={out}"))


def test_key_changes_with_the_audio():
    items = [{"wav": torch.zeros(1, 160), "item": "a.wav"}]
    spec = {"codec": "opus", "bitrate": 6000.0}
    key = input_key(items, 16000, spec)
    items[0]["wav"][0, 5] = 1e-3
    assert input_key(items, 16000, spec) != key and input_key(items, 16000, spec) == input_key(items, 16000, spec)


def test_bad_options_are_named(repo_root, speech_root, cache):
    with pytest.raises(ValueError, match="codec=mp3"):
        run(_cfg(repo_root, speech_root, "codec=mp3"))
    with pytest.raises(ValueError, match="backend=lame"):
        run(_cfg(repo_root, speech_root, "backend=lame"))
    with pytest.raises(ValueError, match="bitrate=-5"):
        run(_cfg(repo_root, speech_root, "bitrate=-5"))


def test_command_line_entry_point_runs_in_a_fresh_process(repo_root, speech_root, cache):
    """The real `python -m src.baseline` (a fresh interpreter: the data configs' resolvers must be registered
    by the entry point itself, not by whatever a test process happened to import first)."""
    import subprocess
    import sys

    out = cache.parent / "cli"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "src.baseline",
            "codec=opus",
            "bitrate=6000",
            "data=folder",
            f"data.root={speech_root}",
            "max_items=1",
            "metrics.names=[stoi]",
            "num_workers=0",
            f"out={out}",
        ],
        cwd=repo_root,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads((out / "eval" / "metrics.json").read_text())["metrics"]["stoi"]["n"] == 1
