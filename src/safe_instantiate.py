"""Instantiate a config read from a FILE (a run's config.yaml, a converted checkpoint's) as data, not code.

Hydra's `instantiate` calls whatever `_target_` names, so a shared run directory could otherwise run code
(issue 11: `pathlib.Path.write_text` writes a text pickle, `numpy.load(allow_pickle=True)` runs it). Every
`_target_` in the tree -- nested nodes, lists, `_args_`, `_partial_` nodes -- must name a CLASS defined in
the project's component packages (functions there, such as src.data.audio.write_audio, write files), or a
class or function under a prefix the user adds on the command line (`trusted_targets=[mylab.codecs]`,
`load_codec(path, trusted_targets=[...])`). Anything else is refused before anything is called, naming the
key path and the target. See docs/security.md.
"""

from __future__ import annotations

import importlib
import inspect
import re
from collections.abc import Iterable, Mapping, Sequence

from omegaconf import DictConfig, ListConfig, OmegaConf

# The packages whose classes a run's config may build: the codec's roles, the data modules and (for
# tools that rebuild a training setup from a file) the discriminators and losses.
PROJECT_PREFIXES = (
    "src.encoder",
    "src.quantizer",
    "src.decoder",
    "src.head",
    "src.discriminator",
    "src.loss",
    "src.data",
)
# Library classes a run's config names besides the components: the optimizers and LR schedulers of
# conf/optim (`_partial_` nodes). Classes only: their functions are not reachable from a file.
LIBRARY_PREFIXES = ("torch.optim",)
_DOTTED = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*")


class UnsafeTargetError(ValueError):
    """A file's config names a `_target_` outside the allowlist; the message names the key and the target."""


def allowed_prefixes(extra: Iterable[str] | str | None = ()) -> tuple[str, ...]:
    """PROJECT_PREFIXES + the user's own (a list, or one comma-separated string); trailing dots dropped."""
    if isinstance(extra, str):
        extra = extra.split(",")
    user = [str(p).strip().rstrip(".") for p in (extra or ())]
    return PROJECT_PREFIXES + LIBRARY_PREFIXES + tuple(p for p in user if p)


def _under(name: str, prefixes: Sequence[str]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def _resolve(target: str):
    """Import the longest module prefix of `target`, then walk the attributes (only allowed names get here)."""
    parts = target.split(".")
    for i in range(len(parts) - 1, 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:i]))
        except ImportError:
            continue
        for attr in parts[i:]:
            obj = getattr(obj, attr)
        return obj
    raise ImportError(f"no importable module in {target!r}")


def check_target(target, key: str, prefixes: Sequence[str]) -> None:
    """Refuse `target` unless it is a dotted name under `prefixes` that resolves to a class (or, under a
    user's prefix, a function) DEFINED under `prefixes`: `src.encoder.seanet.nn.Linear`, an imported
    name reached through a project module, is refused too."""
    where = f"`{key}` = {target!r}"
    fix = (
        f"a run's config may only build classes defined under {', '.join(p + '.' for p in prefixes)}; "
        "if you trust this code, add its prefix on the command line (trusted_targets=[<prefix>] for "
        "src.evaluate, load_codec(path, trusted_targets=[...])). See docs/security.md"
    )
    if not isinstance(target, str) or not _DOTTED.fullmatch(target) or not _under(target, prefixes):
        raise UnsafeTargetError(f"refused {where}: {fix}")
    try:
        obj = _resolve(target)
    except (ImportError, AttributeError) as err:
        raise UnsafeTargetError(f"{where} cannot be found ({err}): {fix}") from err
    callable_ok = inspect.isclass(obj) or (
        (inspect.isfunction(obj) or inspect.ismethod(obj))
        and _under(target, [p for p in prefixes if p not in PROJECT_PREFIXES + LIBRARY_PREFIXES])
    )
    if not callable_ok:
        raise UnsafeTargetError(f"refused {where}: it is a {type(obj).__name__}, not a component class; {fix}")
    defined = f"{obj.__module__}.{obj.__qualname__}"
    if not _under(defined, prefixes):
        raise UnsafeTargetError(f"refused {where}: it is {defined}, defined outside the allowlist; {fix}")


def check_targets(node, prefixes: Sequence[str], path: str = "") -> None:
    """Walk a plain (resolved) tree of dicts and lists; check every `_target_` found at any depth."""
    if isinstance(node, Mapping):
        if "_target_" in node:  # a node's own target before its arguments': the error names the outer call
            check_target(node["_target_"], f"{path}._target_" if path else "_target_", prefixes)
        for k, v in node.items():
            if k != "_target_":
                check_targets(v, prefixes, f"{path}.{k}" if path else str(k))
    elif isinstance(node, (list, tuple)):
        for i, v in enumerate(node):
            check_targets(v, prefixes, f"{path}[{i}]")


def checked_config(cfg, trusted_targets: Iterable[str] | str | None = (), path: str = "", source: str = "config"):
    """-> a resolved copy of `cfg` whose every `_target_` passed the allowlist. Resolving first means what
    is checked is exactly what is instantiated: no interpolation can bring in a target later."""
    if isinstance(cfg, (DictConfig, ListConfig)):
        try:
            plain = OmegaConf.to_container(cfg, resolve=True)
        except Exception as err:  # any resolver failure: the file is not a resolved run config
            raise ValueError(f"{source}: cannot resolve `{path or '<root>'}` ({err})") from err
    else:
        plain = cfg
    check_targets(plain, allowed_prefixes(trusted_targets), path)
    return OmegaConf.create(plain)


def safe_instantiate(node, key: str, trusted_targets: Iterable[str] | str | None = (), **kwargs):
    """hydra.utils.instantiate of a file's config node, after every target in it passed the allowlist."""
    from hydra.utils import instantiate

    return instantiate(checked_config(node, trusted_targets, key), **kwargs)


def targets_outside_allowlist(cfg) -> list[str]:
    """The `_target_`s of a TRUSTED config (composed from the user's command line) that the allowlist would
    refuse: the training entry point passes them to its own post-training evaluation, which reads the run's
    config.yaml back from disk and would otherwise refuse the user's own components."""
    found: list[str] = []

    def walk(node):
        if isinstance(node, Mapping):
            target = node.get("_target_")
            if (
                isinstance(target, str)
                and not _under(target, PROJECT_PREFIXES + LIBRARY_PREFIXES)
                and target not in found
            ):
                found.append(target)
            for v in node.values():
                walk(v)
        elif isinstance(node, (list, tuple)):
            for v in node:
                walk(v)

    walk(OmegaConf.to_container(cfg, resolve=False) if isinstance(cfg, (DictConfig, ListConfig)) else cfg)
    return found
