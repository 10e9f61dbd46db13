"""Build-time contract checks: does a component declare what its role's abstract base asks for?

Each role has an abstract base in `src/<role>/base.py` (encoder, quantizer, decoder, head, discriminator)
that lists its required attributes in `REQUIRED` (name -> how to declare it) and its required methods as
abstract methods. Components normally inherit the base, so a missing method already fails at construction;
these checks also cover components that do not inherit it (e.g. trusted third-party classes), and attributes
that an `__init__` forgot to set. The error names the component, the missing member, and how to add it.
"""

from __future__ import annotations

import abc

from torch import nn


class ContractError(TypeError):
    """A component does not declare a member its role requires; the message says how to add it."""


def qualname(obj) -> str:
    cls = obj if isinstance(obj, type) else type(obj)
    return f"{cls.__module__}.{cls.__qualname__}"


def _defines(component, method: str) -> bool:
    fn = getattr(type(component), method, None)
    if fn is None or getattr(fn, "__isabstractmethod__", False):
        return False
    return not (method == "forward" and fn is nn.Module.forward)  # nn.Module's placeholder raises


def missing_members(component, base: type[abc.ABC], required: dict[str, str] | None = None) -> list[str]:
    """Names of the attributes (base.REQUIRED, or `required`) and abstract methods `component` lacks."""
    required = base.REQUIRED if required is None else required
    missing = [name for name in required if not hasattr(component, name)]
    methods = sorted(getattr(base, "__abstractmethods__", ()))
    return missing + [m for m in methods if not _defines(component, m)]


def check_component(role: str, component, base: type, required: dict[str, str] | None = None) -> None:
    """Raise ContractError naming the first member of `base`'s contract that `component` does not declare."""
    required = base.REQUIRED if required is None else required
    missing = missing_members(component, base, required)
    if not missing:
        return
    name = missing[0]
    how = required.get(name) or f"define {name}(...) with the signature of {base.__name__}.{name}"
    raise ContractError(
        f"{role} {qualname(component)} does not declare {name}: {how} (see {base.__module__.replace('.', '/')}.py)"
    )
