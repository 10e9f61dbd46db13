"""`python -m src.bench parity [presets=dac_16khz,encodec_24khz,vocos] [modes=eager,bf16,kernels,compile]
[repeats=5] [batch=4] [seconds=1] [size=full|tiny] [kernel_backend=inductor] [out=path]`.

codeclab against the official code with the same weights (src/benchmarks/_pairs.py): median seconds of a
generator training step (forward + backward, waveform L1 + quantizer losses) and of inference (encode +
decode), the two sides interleaved, for eager fp32, bf16 autocast, the fused kernels of
`trainer.compile=kernels` (codeclab's, against the official code as shipped and against the official code
with the same kernel patched in: `official_fused_s`) and a whole-model torch.compile. Also checks that
both sides compute the same thing (largest interior output difference, eval mode). Writes
experiments/measured/parity.json (or out=).
"""

from __future__ import annotations

import json
import statistics
import time
from contextlib import contextmanager, nullcontext
from pathlib import Path

import torch

from src.benchmarks import parse_options
from src.nn.kernels import has_fused_kernels, set_fused_kernels

BENCH_KEYS = {
    "presets": "dac_16khz,encodec_24khz,vocos",
    "modes": "eager,bf16,compile",
    "repeats": 5,
    "batch": 4,
    "seconds": 1.0,
    "size": "full",
    "kernel_backend": "inductor",
    "out": "experiments/measured/parity.json",
}
MODES = ("eager", "bf16", "kernels", "compile")


def _train_step(loss_fn, module, wav):
    module.zero_grad(set_to_none=True)
    loss_fn(wav).backward()


def _timed(fn, *args) -> float:
    start = time.perf_counter()
    fn(*args)
    return time.perf_counter() - start


def _callables(pair, mode: str) -> dict:
    """{side: (train loss fn, infer fn)} for the mode (compiled functions are compiled once here)."""
    sides = {"ours": (pair.train_ours, pair.infer_ours), "official": (pair.train_official, pair.infer_official)}
    if mode == "compile":
        torch._dynamo.config.allow_rnn = True  # as trainer.compile: the LSTMs traced, not a graph break each
        sides = {k: (torch.compile(t), torch.compile(i)) for k, (t, i) in sides.items()}
    return sides


@contextmanager
def _official_fused(pair, backend: str):
    """The official model with codeclab's fused kernel patched in, while inside."""
    undo = pair.fuse_official(backend)
    try:
        yield
    finally:
        undo()


def _measure(pair, mode: str, wav: torch.Tensor, repeats: int, kernel_backend: str = "inductor") -> list[dict]:
    """Median seconds per side for train and infer; kernels mode adds the fused official side."""
    if mode == "kernels" and not has_fused_kernels(pair.ours):
        return []  # nothing to fuse in this preset: the row would repeat eager
    sides, modules = _callables(pair, mode), {"ours": pair.ours, "official": pair.official}
    contexts = {"ours": nullcontext, "official": nullcontext}
    if mode == "kernels":
        set_fused_kernels(pair.ours, kernel_backend)
        if pair.fuse_official is not None:
            sides["official_fused"], modules["official_fused"] = sides["official"], pair.official
            contexts["official_fused"] = lambda: _official_fused(pair, kernel_backend)
    try:
        return [_timed_rows(pair, mode, task, sides, modules, contexts, wav, repeats) for task in ("train", "infer")]
    finally:
        set_fused_kernels(pair.ours, None)


def _timed_rows(pair, mode, task, sides, modules, contexts, wav, repeats) -> dict:
    autocast = torch.autocast("cpu", dtype=torch.bfloat16) if mode == "bf16" else nullcontext()
    times = {side: [] for side in sides}
    for module in modules.values():
        module.train(task == "train")
    for r in range(repeats + 1):  # the first round warms up (and compiles): not counted
        order = list(sides) if r % 2 == 0 else list(sides)[::-1]  # interleaved, alternating
        for side in order:
            train_fn, infer_fn = sides[side]
            with contexts[side](), autocast:
                if task == "train":
                    t = _timed(_train_step, train_fn, modules[side], wav)
                else:
                    with torch.inference_mode():
                        t = _timed(infer_fn, wav)
            if r:
                times[side].append(t)
    medians = {side: statistics.median(v) for side, v in times.items()}
    row = {
        "preset": pair.name,
        "mode": mode,
        "task": task,
        "ours_s": medians["ours"],
        "official_s": medians["official"],
        "ratio": medians["ours"] / medians["official"],
    }
    if "official_fused" in medians:
        row["official_fused_s"] = medians["official_fused"]
        row["ratio_to_fused"] = medians["ours"] / medians["official_fused"]
    return row


def same_weights(pair, wav: torch.Tensor) -> float:
    """Largest interior difference of the two sides' inference outputs in eval mode, relative to the
    official output's peak (~1e-6 when the weights are equal)."""
    from src.benchmarks._pairs import interior_difference

    pair.ours.eval(), pair.official.eval()
    with torch.inference_mode():
        return interior_difference(pair.infer_ours(wav), pair.infer_official(wav))


def inference_rtf(name: str, size: str, wav: torch.Tensor, sample_rate: int, repeats: int) -> dict:
    """Real-time factor (compute s / audio s) of encode + decode, eager fp32, interleaved: codeclab and the
    official code as built, and both with weight norm folded (codeclab: src/inference.py)."""
    from src.benchmarks._pairs import build_pair
    from src.inference import fold_weight_norm, prepare_for_inference

    plain, folded = build_pair(name, size), build_pair(name, size)  # same seed: the same weights
    prepare_for_inference(folded.ours), fold_weight_norm(folded.official.eval())
    plain.ours.eval(), plain.official.eval()
    fns = {
        "ours": plain.infer_ours,
        "official": plain.infer_official,
        "ours_folded": folded.infer_ours,
        "official_folded": folded.infer_official,
    }
    times = {k: [] for k in fns}
    audio = wav.shape[0] * wav.shape[-1] / sample_rate
    with torch.inference_mode():
        for r in range(repeats + 1):
            for key in list(fns) if r % 2 == 0 else list(fns)[::-1]:
                t = _timed(fns[key], wav)
                if r:
                    times[key].append(t / audio)
    return {k: statistics.median(v) for k, v in times.items()}


def main(overrides: list[str]) -> dict:
    from src.benchmarks._pairs import build_pair

    opts = parse_options(BENCH_KEYS, overrides)
    modes = [m for m in opts["modes"].split(",") if m]
    if bad := [m for m in modes if m not in MODES]:
        raise ValueError(f"modes={opts['modes']!r}: {bad} unknown; choose from {MODES}")
    result = {
        "batch": f"{opts['batch']} x {opts['seconds']:g} s",
        "repeats": opts["repeats"],
        "size": opts["size"],
        "threads": torch.get_num_threads(),
        "torch": torch.__version__,
        "rows": [],
        "same_weights_max_diff": {},
        "inference_rtf": {},
    }
    for name in opts["presets"].split(","):
        pair = build_pair(name, opts["size"])
        gen = torch.Generator().manual_seed(0)
        wav = torch.randn(opts["batch"], 1, round(opts["seconds"] * pair.sample_rate), generator=gen) * 0.1
        result["same_weights_max_diff"][name] = same_weights(pair, wav)
        result["inference_rtf"][name] = inference_rtf(name, opts["size"], wav, pair.sample_rate, opts["repeats"])
        for mode in modes:
            result["rows"].extend(_measure(pair, mode, wav, opts["repeats"], opts["kernel_backend"]))
    out = Path(opts["out"])
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2))
    return result


def markdown(result: dict) -> str:
    """The parity JSON as a table: preset, mode, task, ours, official, ratio."""
    lines = [
        "| preset | mode | task | codeclab s | official s | ours / official | official + same kernel s | ours / that |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in result["rows"]:
        fused = f"{r['official_fused_s']:.3f} | {r['ratio_to_fused']:.2f}" if "official_fused_s" in r else "- | -"
        lines.append(
            f"| {r['preset']} | {r['mode']} | {r['task']} | {r['ours_s']:.3f} | {r['official_s']:.3f} "
            f"| {r['ratio']:.2f} | {fused} |"
        )
    return "\n".join(lines)
