"""Fixtures for the converter tests: the official packages (skipped with a reason when absent, imported
with tests/convert/stubs.py's stand-ins for audiotools / argbind / torchaudio: DAC, EnCodec; or with
tests/convert/official.py's per-test stubs: Vocos, Oobleck) and a demo-corpus clip."""

from __future__ import annotations

import importlib.util
import json
import sys

import pytest
import torch

from tests.convert.official import official_imports  # noqa: F401  (a fixture)
from tests.convert.stubs import official


def _package(name: str, dist: str):
    if importlib.util.find_spec(name) is None:
        pytest.skip(f"{dist} is not installed (pip install -e '.[interop]', see .ci/run)")
    with official(name) as pkg:
        yield pkg


@pytest.fixture(scope="module")
def dac_pkg():
    """descript-audio-codec's `dac` package (its model code; audiotools/argbind stubbed)."""
    yield from _package("dac", "descript-audio-codec")


@pytest.fixture(scope="module")
def encodec_pkg():
    """The `encodec` package (its model code; torchaudio stubbed)."""
    yield from _package("encodec", "encodec")


@pytest.fixture(scope="module")
def transformers_pkg():
    """transformers, imported with no stand-in in sys.modules: it probes torchaudio's spec on import, and a
    stub left there by another fixture of the same module (EnCodec's) has none."""
    stubs = {n: m for n, m in sys.modules.items() if n.split(".")[0] == "torchaudio" and m.__spec__ is None}
    for name in stubs:
        del sys.modules[name]
    try:
        pkg = pytest.importorskip("transformers", reason="transformers is not installed (the interop extra)")
        from transformers import DacModel, EncodecModel  # noqa: F401  (resolve the lazy modules now)
    finally:
        sys.modules.update(stubs)
    return pkg


def demo_clip(sample_rate: int, seconds: float = 1.0) -> torch.Tensor:
    """The first test utterance of the demo corpus ($CODECLAB_DATA/demo), resampled -> (1, 1, T)."""
    from src.data.audio import read_audio
    from src.data.demo import build_corpus

    root = build_corpus()
    first = json.loads((root / "test.jsonl").read_text().splitlines()[0])
    wav = read_audio(root / first["path"], sample_rate=sample_rate, channels=1)
    return wav[None, :, : int(seconds * sample_rate)]


def random_audio(sample_rate: int, seconds: float = 0.7) -> torch.Tensor:
    """(1, 1, T) noise with T not a multiple of any hop, so the padding and the crop are exercised."""
    return 0.1 * torch.randn(1, 1, int(seconds * sample_rate) + 123)


def assert_same(codes, ref_codes, wav, ref_wav, tol: float = 1e-5) -> float:
    """Codes identical, waveforms of the same length within tol -> the max waveform difference."""
    assert codes.shape == ref_codes.shape and torch.equal(codes.long(), ref_codes.long())
    assert wav.shape[-1] == ref_wav.shape[-1], (wav.shape, ref_wav.shape)
    diff = float((wav.reshape(ref_wav.shape) - ref_wav).abs().max())
    assert diff < tol, diff
    return diff
