"""DNSMOS and WER (optional extras): scores when installed, a 'not installed' exclusion when absent."""

import sys

import numpy as np
import pytest

from src.metrics.base import optional_import
from src.metrics.suite import build_metrics, score_item
from src.metrics.wer import word_errors

SR = 16000


def test_word_errors_is_levenshtein():
    assert word_errors(["a", "b", "c"], ["a", "b", "c"]) == 0
    assert word_errors(["a", "b", "c"], ["a", "x", "c", "d"]) == 2  # one substitution, one insertion
    assert word_errors(["a", "b", "c"], []) == 3


@pytest.mark.parametrize("name, module", [("dnsmos", "speechmos.dnsmos"), ("wer", "pocketsphinx")])
def test_absent_extra_excludes_every_item_with_the_pip_hint(monkeypatch, speech, name, module):
    monkeypatch.setitem(sys.modules, module, None)  # makes `import module` fail, as if not installed
    optional_import.cache_clear()
    try:
        row = score_item(build_metrics([name]), speech, speech, SR)
    finally:
        optional_import.cache_clear()
    assert row[name].startswith("not installed: pip install")


@pytest.mark.slow  # two 9 s ONNX windows per clip
def test_dnsmos_scores_in_range_and_prefers_clean(speech, noisy):
    pytest.importorskip("speechmos")
    metric = build_metrics(["dnsmos"])["dnsmos"]
    clean, dirty = metric(speech, speech, SR), metric(speech, noisy, SR)
    assert 1.0 <= dirty < clean <= 5.0


def test_wer_on_identical_audio_is_zero_or_excluded(speech):
    pytest.importorskip("pocketsphinx")
    row = score_item(build_metrics(["wer"]), speech, speech, SR)
    # a synthetic vowel may yield no words at all: then it must be excluded, not scored
    assert row["wer"] == 0.0 or row["wer"] == "no words recognised in reference"
    assert np.isfinite(word_errors(["a"], ["a"]))
