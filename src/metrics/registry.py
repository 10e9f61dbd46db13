"""The metric registry: every `Metric` subclass defined in a module of src/metrics/, by its declared name.

Adding a metric = a module here with a class declaring `name`, `higher_is_better`, `unit`, `label`, `worst`
(src/metrics/base.py), its name in a conf/metrics/<suite>.yaml, and its test. Nothing else lists names.
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass, field
from functools import cache

import src.metrics as metrics_package
from src.metrics.base import Metric

REQUIRED = ("name", "higher_is_better", "unit", "label", "worst")


@dataclass(frozen=True)
class MetricSpec:
    """One registered name: where its class lives, the constructor kwargs, and how its scores read."""

    name: str
    module: str
    cls: str
    higher_is_better: bool
    unit: str
    label: str
    rank: int | None
    codec_level: bool
    kwargs: dict = field(default_factory=dict)

    @property
    def title(self) -> str:
        """Plot title: label, unit, direction arrow, e.g. "MCD (dB) ↓"."""
        unit = f" ({self.unit})" if self.unit else ""
        return f"{self.label}{unit} {'↑' if self.higher_is_better else '↓'}"

    def build(self, options: dict | None = None):
        """-> the metric object, options (metrics.options.<name>) merged over the registered kwargs."""
        cls = getattr(importlib.import_module(self.module), self.cls)
        return cls(**{**self.kwargs, **(options or {})})


def _check(cls: type) -> None:
    missing = [a for a in REQUIRED if not hasattr(cls, a)]
    if missing:
        raise TypeError(
            f"metric {cls.__module__}.{cls.__qualname__} does not declare {missing}: add them as "
            "class attributes (see src/metrics/base.py Metric)"
        )


def _specs_of(cls: type) -> list[MetricSpec]:
    _check(cls)
    main = MetricSpec(
        cls.name,
        cls.__module__,
        cls.__qualname__,
        bool(cls.higher_is_better),
        cls.unit,
        cls.label,
        cls.rank,
        bool(cls.codec_level),
    )
    extra = [
        MetricSpec(
            v.name,
            main.module,
            main.cls,
            main.higher_is_better,
            main.unit,
            v.label or main.label,
            main.rank if v.rank is None else v.rank,
            main.codec_level,
            dict(v.kwargs),
        )
        for v in cls.variants
    ]
    return [main, *extra]


@cache
def registry() -> dict[str, MetricSpec]:
    """name -> MetricSpec, ordered by rank (ranked first), then name. Duplicate names are an error."""

    specs: dict[str, MetricSpec] = {}
    for info in pkgutil.iter_modules(metrics_package.__path__):
        module = importlib.import_module(f"{metrics_package.__name__}.{info.name}")
        for obj in vars(module).values():
            if not (
                isinstance(obj, type)
                and issubclass(obj, Metric)
                and obj is not Metric
                and obj.__module__ == module.__name__
                and "name" in vars(obj)
            ):
                continue
            for spec in _specs_of(obj):
                if spec.name in specs:
                    raise ValueError(
                        f"metric name {spec.name!r} is declared by both {specs[spec.name].module} "
                        f"and {spec.module}: names must be unique"
                    )
                specs[spec.name] = spec
    order = sorted(specs.values(), key=lambda s: (s.rank is None, s.rank or 0, s.name))
    return {s.name: s for s in order}


def spec(name: str) -> MetricSpec:
    """The registered metric `name`, or a ValueError listing the registered names."""
    specs = registry()
    if name not in specs:
        raise ValueError(f"unknown metric {name!r}; registered: {list(specs)}")
    return specs[name]
