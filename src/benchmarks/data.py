"""`python -m src.bench data [files=2000 seconds=10 big_files=100000 big_seconds=0.5 crops=300 ...]`.

Start-up cost of a folder dataset and the read rate of training crops, on synthetic FLAC files made in a
temp dir (`dir=` to choose where; copies of a few distinct files, so that writing 100k files is quick):
- index cold (no index yet) and warm (unchanged files): `FolderData(root).split("train")` timed in a
  fresh process each, as a training run starts, in wall-clock and in CPU seconds (this process and its
  scan workers: the figure a loaded machine distorts least); at `files` x `seconds` and at `big_files` x `big_seconds`;
- the previous start-up (decode every file in full, one process) on the same `files`, side by side;
- crops per second of one worker (one process, one thread) at 16 kHz mono and at 44.1 kHz stereo, each
  from files that need resampling, and how many workers keep up with `batch` crops per `step_s` seconds
  (a stated GPU step time: an assumption, not measured here).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from src.benchmarks import parse_options

DEFAULTS = {
    "files": 2000,
    "seconds": 10.0,
    "big_files": 100000,
    "big_seconds": 0.5,
    "crops": 300,
    "segment": 1.0,
    "batch": 16,
    "step_s": 0.25,
    "legacy": 1,
    "dir": "",
    "out": "bench/data.json",
}
REPO = Path(__file__).resolve().parents[2]
TEMPLATES = 8  # distinct files per folder; the rest are byte copies (distinct inodes and paths)
CHILD = """
import json, resource, sys, time
def cpu():  # this process and its reaped children (the scan pool): load on the machine hardly moves it
    return sum(r.ru_utime + r.ru_stime for r in map(resource.getrusage, (resource.RUSAGE_SELF,
                                                                         resource.RUSAGE_CHILDREN)))
t0 = time.perf_counter()
from src.data.datasets import FolderData
t1, c1 = time.perf_counter(), cpu()
data = FolderData(root=sys.argv[1], sample_rate=16000, channels=1, segment_seconds=0.25)
train = data.split("train")
t2, c2 = time.perf_counter(), cpu()
print(json.dumps({"import_s": t1 - t0, "split_s": t2 - t1, "split_cpu_s": c2 - c1, "train_items": len(train)}))
"""
LEGACY = """
import json, sys, time
from src.data.audio import audio_info, read_native
from src.data.sources import find_audio
t0, c0 = time.perf_counter(), time.process_time()
for p in find_audio(__import__("pathlib").Path(sys.argv[1])):
    audio_info(p); read_native(p)
print(json.dumps([time.perf_counter() - t0, time.process_time() - c0]))
"""


def make_folder(root: Path, n: int, seconds: float, rate: int = 16000, channels: int = 1) -> float:
    """n FLAC files of `seconds` in 100-file speaker folders -> total hours of audio."""
    import soundfile as sf

    rng = np.random.default_rng(0)
    t = np.arange(round(seconds * rate)) / rate
    templates = []
    for k in range(min(TEMPLATES, n)):
        x = 0.3 * np.sin(2 * np.pi * (110 + 37 * k) * t) * (1 + 0.5 * np.sin(2 * np.pi * 3 * t))
        x = np.stack([x + 0.01 * rng.standard_normal(len(t)) for _ in range(channels)], axis=1)
        path = root / "spk0000" / f"utt{k:06d}.flac"
        path.parent.mkdir(parents=True, exist_ok=True)
        sf.write(path, x.astype(np.float32), rate)
        templates.append(path)
    for i in range(len(templates), n):
        path = root / f"spk{i // 100:04d}" / f"utt{i:06d}.flac"
        path.parent.mkdir(exist_ok=True)
        shutil.copyfile(templates[i % len(templates)], path)
    return n * seconds / 3600


def _child(code: str, root: Path) -> str:
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    out = subprocess.run(
        [sys.executable, "-c", code, str(root)], cwd=REPO, env=env, check=True, capture_output=True, text=True
    )
    return out.stdout.strip().splitlines()[-1]


def start_times(root: Path, hours: float, legacy: bool) -> dict:
    """Cold then warm split build in fresh processes (and the previous full decode, when asked)."""
    from src.data.index import SUFFIX

    (root / SUFFIX).unlink(missing_ok=True)
    cold = json.loads(_child(CHILD, root))
    warm = json.loads(_child(CHILD, root))
    row = {
        "hours": hours,
        "cold_s": cold["split_s"],
        "warm_s": warm["split_s"],
        "cold_cpu_s": cold["split_cpu_s"],
        "warm_cpu_s": warm["split_cpu_s"],
        "cold_x_realtime": hours * 3600 / cold["split_s"],
        "cold_x_realtime_cpu": hours * 3600 / cold["split_cpu_s"],
        "import_s": warm["import_s"],
        "train_items": cold["train_items"],
    }
    if legacy:
        row["full_decode_s"], row["full_decode_cpu_s"] = json.loads(_child(LEGACY, root))
        row["full_decode_x_realtime"] = hours * 3600 / row["full_decode_s"]
    return row


def crop_rate(root: Path, sample_rate: int, channels: int, segment: float, n: int) -> tuple[float, float]:
    """Training crops read per second (wall clock, and per CPU second) by one process with one thread
    (a DataLoader worker)."""
    import torch

    from src.data.datasets import FolderData

    torch.set_num_threads(1)
    ds = FolderData(
        root=str(root),
        sample_rate=sample_rate,
        channels=channels,
        segment_seconds=segment,
        valid_fraction=0.0,
        test_fraction=0.0,
    ).split("train")
    order = np.random.default_rng(0).integers(0, len(ds), n)
    ds[int(order[0])]  # first read: imports and soxr set-up are not counted
    t0, c0 = time.perf_counter(), time.process_time()
    for i in order:
        ds[int(i)]
    return n / (time.perf_counter() - t0), n / (time.process_time() - c0)


def main(overrides: list[str]) -> dict:
    opts = parse_options(DEFAULTS, overrides)
    tmp = Path(tempfile.mkdtemp(prefix="codeclab-bench-data-", dir=opts["dir"] or None))
    result: dict = {"cpus": os.cpu_count(), "load_avg_1min": os.getloadavg()[0]}
    try:
        t0 = time.perf_counter()
        hours = make_folder(tmp / "n", opts["files"], opts["seconds"])
        result["generate_s"] = time.perf_counter() - t0
        result["index"] = {f"{opts['files']}x{opts['seconds']:g}s": start_times(tmp / "n", hours, bool(opts["legacy"]))}
        shutil.rmtree(tmp / "n")
        if opts["big_files"]:
            hours = make_folder(tmp / "big", opts["big_files"], opts["big_seconds"])
            key = f"{opts['big_files']}x{opts['big_seconds']:g}s"
            result["index"][key] = start_times(tmp / "big", hours, legacy=False)
            shutil.rmtree(tmp / "big")
        cases = {
            "16k_mono_from_44k_stereo": (44100, 2, 16000, 1),
            "44k_stereo_from_48k_stereo": (48000, 2, 44100, 2),
            "16k_mono_from_16k_mono": (16000, 1, 16000, 1),
        }
        crops = {}
        for name, (file_rate, file_ch, rate, ch) in cases.items():
            make_folder(tmp / name, 64, 10.0, file_rate, file_ch)
            rate_s, rate_cpu = crop_rate(tmp / name, rate, ch, opts["segment"], opts["crops"])
            need = opts["batch"] / opts["step_s"]
            crops[name] = {
                "crops_per_s_per_worker": rate_s,
                "crops_per_cpu_s": rate_cpu,
                "needed_crops_per_s": need,
                "workers_to_keep_up": int(np.ceil(need / rate_s)),
                "workers_to_keep_up_on_free_cores": int(np.ceil(need / rate_cpu)),
            }
        result["crops"] = {
            "segment_s": opts["segment"],
            "batch": opts["batch"],
            "stated_gpu_step_s": opts["step_s"],
            **crops,
        }
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    Path(opts["out"]).parent.mkdir(parents=True, exist_ok=True)
    Path(opts["out"]).write_text(json.dumps(result, indent=2) + "\n")
    return result
