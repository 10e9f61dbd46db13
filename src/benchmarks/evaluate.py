"""Benchmark of the evaluation suite: parallel workers vs a plain serial loop over the same metrics.

`python -m src.bench evaluate [n_items=200] [metrics=full] [num_workers=null] [source=demo|synthetic]
[reference_dir=<dir> decoded_dir=<dir>] [out=bench/evaluate.json]`. By default it scores the demo corpus's
test split (cycled to n_items) against a noisy, low-passed copy standing in for decoded audio;
`source=synthetic` uses speech-like signals (voiced harmonics through formant resonances). Both runs score the same
items with the same metric
objects; the JSON reports items/s of each, the speed-up and the largest difference between the two.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import numpy as np
from omegaconf import OmegaConf

ROOT = Path(__file__).resolve().parents[2]
FORMANTS = ((700, 130), (1220, 70), (2600, 160))  # an /a/-like vowel: (centre Hz, bandwidth Hz)


def speechlike(seconds: float, sample_rate: int = 16000, seed: int = 0) -> np.ndarray:
    """-> (1, T) float64 speech-like test signal at about -20 dBFS, deterministic per seed."""
    from scipy.signal import lfilter

    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * sample_rate)) / sample_rate
    f0 = rng.uniform(90, 220) * (1 + 0.1 * np.sin(2 * np.pi * rng.uniform(0.3, 1.0) * t))
    phase = 2 * np.pi * np.cumsum(f0) / sample_rate
    x = sum(np.sin(k * phase) / k for k in range(1, int(4000 / f0.max())))
    for fc, bw in FORMANTS:  # second-order resonators
        r, theta = np.exp(-np.pi * bw / sample_rate), 2 * np.pi * fc / sample_rate
        x = lfilter([1 - r], [1, -2 * r * np.cos(theta), r * r], x)
    envelope = np.clip(np.sin(2 * np.pi * rng.uniform(2.5, 4.5) * t + rng.uniform(0, 6)), 0, None) ** 0.5
    x = x / np.sqrt(np.mean(x**2)) * envelope + 1e-3 * rng.standard_normal(t.size)  # -60 dB noise floor
    return (0.1 * x / np.sqrt(np.mean(x**2)))[None]


def degrade(x: np.ndarray, snr_db: float = 20.0, seed: int = 0) -> np.ndarray:
    """Stand-in for decoded audio: one-pole low-pass plus white noise at `snr_db`."""
    from scipy.signal import lfilter

    rng = np.random.default_rng(seed + 10_000)
    y = lfilter([0.6], [1, -0.4], x, axis=-1)
    noise = rng.standard_normal(y.shape) * np.sqrt(np.mean(y**2) / 10 ** (snr_db / 10))
    return y + noise


def synthetic_jobs(n_items: int, sample_rate: int = 16000):
    from src.metrics.suite import Job

    jobs = []
    for i in range(n_items):
        ref = speechlike(2.0 + (i % 5) * 0.5, sample_rate, seed=i)
        jobs.append(Job(f"synthetic/{i:04d}", ref, degrade(ref, seed=i), sample_rate))
    return jobs


def demo_jobs(n_items: int, sample_rate: int = 16000):
    """The demo corpus's test split (real espeak-ng speech), cycled to n_items: cycle k degrades each
    utterance with seed k, so repeated utterances are scored against different 'decoded' audio."""
    from hydra.utils import instantiate

    from src.compose import compose_train_config
    from src.metrics.suite import Job

    data = instantiate(compose_train_config([f"sample_rate={sample_rate}"]).data, _convert_="all")
    test = data.split("test")
    refs = [(test[i]["item"], test[i]["wav"][0].numpy()) for i in range(len(test))]
    jobs = []
    for i in range(n_items):
        name, ref = refs[i % len(refs)]
        jobs.append(Job(f"{name}#{i // len(refs)}", ref, degrade(ref, seed=i), sample_rate))
    return jobs


def _serial(jobs, names, options) -> list[dict]:
    """The baseline: one process, one item after another, calling each metric library in turn
    (with one torch thread, as the workers: the comparison measures parallelism, not oversubscription)."""
    from src.metrics.suite import _load, build_metrics, one_torch_thread, score_item

    metrics = build_metrics(names, options)
    with one_torch_thread():
        return [{"item": job.item, **score_item(metrics, *_load(job))} for job in jobs]


def main(overrides: list[str] | None = None) -> dict:
    args = OmegaConf.from_dotlist(list(overrides or []))
    from src.evaluate import pair_jobs
    from src.metrics.suite import METRICS, score_jobs

    n_items = int(args.get("n_items", 200))
    suite = OmegaConf.load(ROOT / "conf" / "metrics" / f"{args.get('metrics', 'full')}.yaml")
    names = [n for n in suite.names if n in METRICS]  # the RTFs need a codec; not part of this benchmark
    options = OmegaConf.to_container(suite.options) if "options" in suite else {}
    source = args.get("source", "demo")
    if args.get("reference_dir"):
        source, jobs = "directories", pair_jobs(args.reference_dir, args.decoded_dir, n_items)[0]
    elif source == "demo":
        jobs = demo_jobs(n_items)
    elif source == "synthetic":
        jobs = synthetic_jobs(n_items)
    else:
        raise ValueError(f"source={source!r}: choose demo (the demo test split), synthetic, or give reference_dir")
    workers = args.get("num_workers") or os.cpu_count()

    load_before = os.getloadavg()[0]  # other processes on the machine skew a wall-clock speed-up
    start, cpu_start = time.perf_counter(), time.process_time()
    serial = _serial(jobs, names, options)
    t_serial, cpu_serial = time.perf_counter() - start, time.process_time() - cpu_start
    start = time.perf_counter()
    parallel = score_jobs(jobs, names, options, num_workers=workers, chunk_size=int(args.get("chunk_size", 4)))
    t_parallel = time.perf_counter() - start

    diff = max(
        (
            abs(a[n] - b[n])
            for a, b in zip(serial, parallel)
            for n in names
            if not isinstance(a[n], str) and not isinstance(b[n], str)
        ),
        default=0.0,
    )
    result = {
        "n_items": len(jobs),
        "source": source,
        "metrics": names,
        "cores": os.cpu_count(),
        "num_workers": workers,
        "serial_items_per_s": len(jobs) / t_serial,
        "parallel_items_per_s": len(jobs) / t_parallel,
        "serial_s": t_serial,
        "parallel_s": t_parallel,
        "speedup": t_serial / t_parallel,
        "serial_cpu_s": cpu_serial,
        "serial_cpu_share": cpu_serial / t_serial,
        "load_average_before": load_before,
        "load_average_after": os.getloadavg()[0],
        "max_abs_diff_serial_vs_parallel": diff,
        "same_exclusions": all(
            isinstance(a[n], str) == isinstance(b[n], str) for a, b in zip(serial, parallel) for n in names
        ),
    }
    out = Path(args.get("out", "bench/evaluate.json"))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
