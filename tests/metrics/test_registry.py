"""The metric registry reads each metric's declared name, direction and unit from its class."""

import math

import numpy as np
import pytest

from src.metrics import registry as reg
from src.metrics.base import Metric
from src.metrics.suite import ALL_METRICS, CODEC_METRICS, HIGHER_IS_BETTER, METRICS, build_metrics


def test_every_metric_class_in_the_folder_is_registered_with_its_declarations():
    specs = reg.registry()
    assert {"pesq_wb", "pesq_nb", "stoi", "estoi", "mcd", "mel_distance", "rtf_encode"} <= set(specs)
    for name, spec in specs.items():
        cls = getattr(__import__(spec.module, fromlist=[spec.cls]), spec.cls)
        assert issubclass(cls, Metric) and isinstance(spec.higher_is_better, bool) and isinstance(spec.unit, str)
        assert name == cls.name or name in {v.name for v in cls.variants}
        assert isinstance(cls.worst, float) and (math.isfinite(cls.worst) or spec.codec_level)


def test_suite_sets_are_derived_from_the_classes():
    assert set(ALL_METRICS) == set(reg.registry()) and set(CODEC_METRICS) == {"rtf_encode", "rtf_decode"}
    assert HIGHER_IS_BETTER == {n for n, s in reg.registry().items() if s.higher_is_better}
    assert "mcd" not in HIGHER_IS_BETTER and "pesq_wb" in HIGHER_IS_BETTER  # lower MCD is better
    assert not set(CODEC_METRICS) & set(METRICS)


def test_variants_build_with_their_kwargs():
    built = build_metrics(["stoi", "estoi"])
    assert built["estoi"].extended and not built["stoi"].extended
    x = np.random.default_rng(0).standard_normal((1, 16000)) * 0.1
    assert built["stoi"](x, x, 16000) == pytest.approx(1.0, abs=1e-6)


def test_ranked_metrics_come_first_in_rank_order():
    ranked = [s for s in reg.registry().values() if s.rank is not None]
    assert [s.rank for s in ranked] == sorted(s.rank for s in ranked)
    assert list(reg.registry())[: len(ranked)] == [s.name for s in ranked]


def test_title_carries_unit_and_direction():
    assert reg.spec("mcd").title == "MCD (dB) ↓" and reg.spec("stoi").title == "STOI ↑"
    with pytest.raises(ValueError, match="unknown metric 'nope'"):
        reg.spec("nope")


def test_a_metric_class_missing_a_declaration_is_named():
    class Half(Metric):
        name = "half"  # forgot higher_is_better, label, worst

    with pytest.raises(TypeError, match=r"does not declare \['higher_is_better', 'label', 'worst'\]"):
        reg._specs_of(Half)
