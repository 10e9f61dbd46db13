"""The notebooks execute end to end on CPU (nbclient), each well under a minute."""

import os
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


def execute(name: str, env: dict[str, str]) -> nbformat.NotebookNode:
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)  # the kernel inherits the environment
    try:
        start = time.perf_counter()
        NotebookClient(
            nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOKS)}}
        ).execute()
        assert time.perf_counter() - start < 120
    finally:
        for k, v in old.items():
            os.environ.pop(k) if v is None else os.environ.__setitem__(k, v)
    return nb


def outputs_text(nb) -> str:
    return "\n".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []))


def test_rvq_breakdown_runs_and_error_falls_with_codebooks(tmp_path):
    nb = execute("rvq_breakdown.ipynb", {"RUN_DIR": str(tmp_path / "no_run")})
    text = outputs_text(nb)
    assert "codes" in text and "(1, 4," in text  # tiny preset: 4 codebooks
    assert text.count("latent rel. MSE") == 4
