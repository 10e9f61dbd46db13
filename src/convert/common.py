"""Shared pieces of the checkpoint converters and exporters: safe loading, key mapping, weight norm."""
from __future__ import annotations

import pickle
import re
from collections.abc import Iterable, Mapping
from pathlib import Path

import torch
from torch import Tensor

# torch.nn.utils.weight_norm (DAC, EnCodec) <-> torch.nn.utils.parametrizations.weight_norm (codeclab)
WEIGHT_NORM = (("weight_g", "parametrizations.weight.original0"),
               ("weight_v", "parametrizations.weight.original1"))


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
        raise ValueError(f"{path}: refused, it holds more than tensors and plain containers (loading it would "
                         f"run pickled code; codeclab loads weights_only). Re-save its state_dict: {err}") from err


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


def check_keys(state: Mapping[str, Tensor], expected: Mapping[str, Tensor], source: str) -> None:
    """Raise KeyMismatchError listing every key of `state` that has no place in `expected` (leftover), every
    expected key `state` lacks (missing) and every shape that differs; `source` names the file or format."""
    leftover = sorted(set(state) - set(expected))
    missing = sorted(set(expected) - set(state))
    shapes = sorted(f"{k}: {tuple(state[k].shape)} vs expected {tuple(expected[k].shape)}"
                    for k in set(state) & set(expected) if state[k].shape != expected[k].shape)
    if not (leftover or missing or shapes):
        return
    parts = [f"{source}: the checkpoint does not match the model its config describes"]
    for title, keys in (("leftover (in the checkpoint, no place in the model)", leftover),
                        ("missing (in the model, not in the checkpoint)", missing), ("shape mismatch", shapes)):
        if keys:
            parts.append(f"{len(keys)} {title}:\n  " + "\n  ".join(keys))
    raise KeyMismatchError("\n".join(parts))


def expected_state(preset: str, overrides: list[str]) -> dict[str, Tensor]:
    """The state dict (names, shapes) of the codec `preset=<preset> <overrides>` builds (random init)."""
    from src.build import build_codec
    from src.compose import compose_train_config

    return build_codec(compose_train_config([f"preset={preset}", *overrides])).state_dict()
