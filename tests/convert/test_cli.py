"""`python -m src.convert` / `python -m src.export` as processes: argument errors name the fix."""

from __future__ import annotations

import subprocess
import sys

import pytest

from src.convert.registry import FORMATS
from src.export.registry import EXPORTERS


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", *args], check=False, capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize(
    "args, message",
    [
        (("src.convert", "source=nope", "checkpoint=x.pth", "out=y"), "source=nope is unknown; choose one of"),
        (("src.convert", "source=dac"), "missing checkpoint=, out="),
        (("src.export", "format=dac", "run_dir=r", "outt=z"), "unknown argument 'outt=z'"),
    ],
)
def test_cli_argument_errors(args, message):
    proc = run(*args)
    assert proc.returncode != 0 and message in proc.stderr


def test_cli_refuses_a_missing_checkpoint(tmp_path):
    proc = run("src.convert", "source=dac", f"checkpoint={tmp_path / 'absent.pth'}", f"out={tmp_path / 'o'}")
    assert proc.returncode != 0 and "absent.pth not found" in proc.stderr
    assert not (tmp_path / "o").exists()


def test_registries_hold_the_formats():
    assert {"dac", "encodec", "hf_dac", "hf_encodec", "vocos", "wavtokenizer", "bigcodec", "oobleck"} <= set(FORMATS)
    assert {"dac", "encodec", "hf_dac", "hf_encodec", "vocos", "oobleck"} <= set(EXPORTERS)
