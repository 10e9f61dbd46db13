"""The end of a run: export codec.safetensors and config.yaml, and write summary.json with each process's
weight digest (equal digests = the processes stayed in sync)."""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path

import torch
from accelerate.utils import gather_object

from src.codec import CONFIG_FILE, WEIGHTS_FILE

log = logging.getLogger(__name__)
SUMMARY_FILE = "summary.json"


def write_run_config(acc, run_dir: Path, config_yaml: str) -> None:
    """The resolved config beside the weights, so that src.build.load_codec(run_dir) rebuilds the model."""
    if acc.is_main_process:
        (Path(run_dir) / CONFIG_FILE).write_text(config_yaml)


def state_digest(*modules: torch.nn.Module) -> dict[str, str]:
    """SHA-1 of the parameters and, separately, of the buffers (codebooks) of `modules`."""
    out = {}
    for kind in ("parameters", "buffers"):
        h = hashlib.sha1()
        for module in modules:
            for name, tensor in getattr(module, f"named_{kind}")():
                h.update(name.encode())
                h.update(tensor.detach().cpu().contiguous().view(torch.uint8).numpy().tobytes())
        out[kind] = h.hexdigest()
    return out


def finish_run(acc, run_dir: Path, export_model, config_yaml: str, digest: dict, fields: dict) -> dict:
    """Collective. export_model: the codec to export (EMA weights when use_ema); digest: this process's
    state_digest; fields: the run's summary values. -> summary (also written to summary.json)."""
    digests = gather_object([digest]) if acc.num_processes > 1 else [digest]
    summary = {
        "step": fields["step"],
        "world_size": acc.num_processes,
        "rank_digests": digests,
        "ranks_in_sync": all(d == digests[0] for d in digests),
        **fields,
    }
    if acc.is_main_process:
        export_model.save(Path(run_dir) / WEIGHTS_FILE)
        write_run_config(acc, run_dir, config_yaml)
        (Path(run_dir) / SUMMARY_FILE).write_text(json.dumps(summary, indent=1))
        if not summary["ranks_in_sync"]:
            log.error("the processes ended with different weights: %s", digests)
    return summary
