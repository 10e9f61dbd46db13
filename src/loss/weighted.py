"""Weighted sum of named loss terms; a weight for a term that cannot exist is an error, not a skip.

Term names are exactly the logged names (`mel`, `adv/gen`, `vq/commitment`, ...). In config the weights
are nested (`adv: {gen: 1.0}`) so that every weight can be overridden from the Hydra command line
(`loss.weights.adv.gen=2`; Hydra's grammar rejects '/' inside a key); they are flattened with '/'.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import torch
from torch import Tensor


def flatten_weights(weights: Mapping, prefix: str = "") -> dict[str, float]:
    """{'adv': {'gen': 1.0}, 'mel': 15} -> {'adv/gen': 1.0, 'mel': 15.0}."""
    flat: dict[str, float] = {}
    for key, value in weights.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(flatten_weights(value, prefix=f"{name}/"))
        else:
            flat[name] = float(value)
    return flat


class LossWeights:
    """Validated weights over the terms a run can produce.

    weights: nested or flat mapping name -> weight (from `loss.weights`).
    required_terms: terms that must be weighted (reconstruction and adversarial terms).
    optional_terms: terms that default to weight 1.0 when not named (quantizer aux losses, which carry
        their own coefficient such as `commitment_weight` in the quantizer config).
    """

    def __init__(self, weights: Mapping, required_terms: Iterable[str], optional_terms: Iterable[str] = ()):
        self.weights = flatten_weights(weights)
        required, optional = set(required_terms), set(optional_terms)
        known = required | optional
        unknown = sorted(set(self.weights) - known)
        if unknown:
            raise KeyError(
                f"loss.weights names {unknown} but this model produces no such term; the terms it can "
                f"produce are {sorted(known)}: remove those weights or add the loss/quantizer that makes them"
            )
        missing = sorted(required - set(self.weights))
        if missing:
            raise KeyError(f"loss.weights has no weight for the terms {missing}: add `loss.weights.<name>`")
        for name in optional - set(self.weights):
            self.weights[name] = 1.0

    def combine(self, terms: Mapping[str, Tensor]) -> Tensor:
        """Weighted sum of the terms present. A term with no weight is a programming error."""
        stray = sorted(set(terms) - set(self.weights))
        if stray:
            raise KeyError(f"loss terms {stray} were produced but were never declared: declare them")
        total = sum((self.weights[n] * t for n, t in terms.items()), torch.zeros(()))
        return total
