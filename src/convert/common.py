"""Shared pieces of the checkpoint converters and exporters: safe loading, key mapping, weight norm."""

from __future__ import annotations

import contextlib
import pickle
import re
from collections.abc import Iterable, Mapping
from pathlib import Path

import torch
from torch import Tensor

# torch.nn.utils.weight_norm (DAC, EnCodec) <-> torch.nn.utils.parametrizations.weight_norm (codeclab)
WEIGHT_NORM = (("weight_g", "parametrizations.weight.original0"), ("weight_v", "parametrizations.weight.original1"))


class KeyMismatchError(KeyError):
    """A checkpoint's keys do not match the model's: the message lists every leftover and missing key."""

    def __str__(self) -> str:  # KeyError would print the message with quotes and escaped newlines
        return str(self.args[0])


def load_torch(path: str | Path) -> dict:
    """A torch.save file read with weights_only=True (tensors and plain containers; code is refused)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path} not found: give checkpoint=<the published weights file>")
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as err:
        raise ValueError(
            f"{path}: refused, it holds more than tensors and plain containers (loading it would "
            f"run pickled code; codeclab loads weights_only). Re-save its state_dict: {err}"
        ) from err


def load_safetensors(path: str | Path) -> dict[str, Tensor]:
    from safetensors.torch import load_file

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path} not found: expected a safetensors weights file")
    return load_file(str(path), device="cpu")


def rename_weight_norm(key: str, to_parametrizations: bool = True) -> str:
    """`conv.weight_g` <-> `conv.parametrizations.weight.original0` (and _v <-> original1)."""
    for old, new in WEIGHT_NORM:
        src, dst = (old, new) if to_parametrizations else (new, old)
        if key.endswith("." + src):
            return key[: -len(src)] + dst
    return key


def rename(state: Mapping[str, Tensor], rules: Iterable[tuple[str, str]]) -> dict[str, Tensor]:
    """Apply regex rules (pattern, replacement) to every key, the first matching rule only.

    A key no rule matches keeps its name (it then shows as leftover in `check_keys` if it is wrong)."""
    compiled = [(re.compile(p), r) for p, r in rules]
    out = {}
    for key, value in state.items():
        for pattern, repl in compiled:
            if pattern.match(key):
                key = pattern.sub(repl, key, count=1)
                break
        out[key] = value
    return out


def key_differences(
    state: Mapping[str, Tensor], expected: Mapping[str, Tensor]
) -> tuple[list[str], list[str], list[str]]:
    """-> (keys of `state` with no place in `expected`, expected keys `state` lacks, keys whose shapes differ),
    in the order of `state`, `expected` and `expected`."""
    leftover = [k for k in state if k not in expected]
    missing = [k for k in expected if k not in state]
    shapes = [k for k in expected if k in state and state[k].shape != expected[k].shape]
    return leftover, missing, shapes


def check_keys(state: Mapping[str, Tensor], expected: Mapping[str, Tensor], source: str) -> None:
    """Raise KeyMismatchError listing every key of `state` that has no place in `expected` (leftover), every
    expected key `state` lacks (missing) and every shape that differs; `source` names the file or format."""
    leftover, missing, mismatched = (sorted(keys) for keys in key_differences(state, expected))
    shapes = sorted(f"{k}: {tuple(state[k].shape)} vs expected {tuple(expected[k].shape)}" for k in mismatched)
    if not (leftover or missing or shapes):
        return
    parts = [f"{source}: the checkpoint does not match the model its config describes"]
    for title, keys in (
        ("leftover (in the checkpoint, no place in the model)", leftover),
        ("missing (in the model, not in the checkpoint)", missing),
        ("shape mismatch", shapes),
    ):
        if keys:
            parts.append(f"{len(keys)} {title}:\n  " + "\n  ".join(keys))
    raise KeyMismatchError("\n".join(parts))


def expected_state(preset: str, overrides: list[str], meta: bool = False) -> dict[str, Tensor]:
    """The state dict of the codec `preset=<preset> <overrides>` builds: random init, or on the meta device
    (names and shapes only, no memory) when `meta`."""
    from src.build import build_codec
    from src.compose import compose_train_config

    cfg = compose_train_config([f"preset={preset}", *overrides])
    with torch.device("meta") if meta else contextlib.nullcontext():
        return build_codec(cfg).state_dict()


def split_weight_norm(state: Mapping[str, Tensor], expected: Mapping[str, Tensor]) -> dict[str, Tensor]:
    """Plain `x.weight` -> codeclab's weight-norm pair where `expected` has one: g = ||w|| over all dims but
    0 (torch's weight_norm dim=0, also for transposed convs), v = w; then g * v / ||v|| = w."""
    out = {}
    for key, value in state.items():
        base = key[: -len("weight")]
        g_key = base + "parametrizations.weight.original0"
        if key.endswith(".weight") and g_key in expected:
            out[g_key] = torch.norm_except_dim(value, 2, 0)
            out[base + "parametrizations.weight.original1"] = value
        else:
            out[key] = value
    return out


def fold_weight_norm(state: Mapping[str, Tensor]) -> dict[str, Tensor]:
    """Weight-norm pairs (parametrizations or weight_g/_v) -> the plain `x.weight` they compute."""
    out, pairs = {}, {}
    suffixes = (
        (0, "parametrizations.weight.original0"),
        (1, "parametrizations.weight.original1"),
        (0, "weight_g"),
        (1, "weight_v"),
    )
    for key, value in state.items():
        for part, suffix in suffixes:
            if key.endswith("." + suffix):
                pairs.setdefault(key[: -len(suffix)], [None, None])[part] = value
                break
        else:
            out[key] = value
    for base, (g, v) in pairs.items():
        if g is None or v is None:
            raise KeyMismatchError(f"weight norm of {base}weight: one of its two tensors (g, v) is missing")
        out[base + "weight"] = torch._weight_norm(v, g, 0)
    return out
