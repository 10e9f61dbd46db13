"""OmegaConf resolvers used by conf/ to wire sizes by interpolation (never in builder code).

Importing this module registers nothing: the entry points and the build layer call register_resolvers()
before they compose or resolve a config (an import with a side effect hid which module needed it).
"""

from __future__ import annotations

import math

from omegaconf import OmegaConf


def _lookup(table, key):
    """Pick a value by a group choice: ${lookup:{waveform: seanet, istft: vocos},${hydra:runtime.choices.head}}."""
    if key not in table:
        raise KeyError(f"lookup: {key!r} is not one of {sorted(table)}")
    return table[key]


_RESOLVERS = {
    "lookup": _lookup,  # used by experiments/ablation/heads.yaml
    "mul": lambda *xs: math.prod(xs),  # ${mul:${latent_dim},2}
    "add": lambda *xs: sum(xs),  # ${add:${.input_dim},${.noise_augment_dim}}
    "div": lambda a, b: a // b,  # integer division: ${div:${decoder.channels},16}
    "prod": lambda xs: math.prod(xs),  # product of a list: ${prod:${encoder.ratios}}
    "pow2": lambda n: 2**n,
    "len": lambda xs: len(xs),
}


def register_resolvers() -> None:
    """Register codeclab's resolvers with OmegaConf; idempotent (safe to call from every entry point)."""
    for name, fn in _RESOLVERS.items():
        if not OmegaConf.has_resolver(name):
            OmegaConf.register_new_resolver(name, fn)
