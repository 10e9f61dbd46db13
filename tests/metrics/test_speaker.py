"""Speaker similarity with Resemblyzer: 1.0 for identical audio, lower for a different voice."""

import numpy as np
import pytest

from src.benchmarks.evaluate import speechlike
from src.metrics.base import Excluded, MetricUnavailable
from src.metrics.speaker import SpeakerSimilarity

SR = 16000


@pytest.fixture(scope="module")
def metric():
    return SpeakerSimilarity()


def test_identical_is_one(metric, speech):
    assert metric(speech, speech, SR) == pytest.approx(1.0, abs=1e-5)


def test_other_voice_is_less_similar(metric, speech):
    other = speechlike(2.0, SR, seed=11)
    assert metric(speech, other, SR) < metric(speech, speech, SR) - 1e-3


def test_silent_reference_excluded(metric, speech):
    with pytest.raises(Excluded, match="silent reference"):
        metric(np.zeros_like(speech), speech, SR)


def test_wavlm_without_local_weights_is_unavailable_with_a_reason(speech):
    with pytest.raises(MetricUnavailable, match="model_path"):
        SpeakerSimilarity(embedder="wavlm")(speech, speech, SR)
    with pytest.raises(ValueError, match="embedder must be one of"):
        SpeakerSimilarity(embedder="ecapa")
