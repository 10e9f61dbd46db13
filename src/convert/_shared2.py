"""Helpers shared by the Vocos, WavTokenizer, BigCodec and Oobleck converters: safe loading, strict key maps."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import torch
import yaml
from torch import Tensor

from src.convert.common import key_differences

WEIGHT_SUFFIXES = (".safetensors", ".ckpt", ".pth", ".pt", ".bin")


def load_weights(path: Path) -> dict[str, Tensor]:
    """A safetensors file, or a torch file read with weights_only=True (never unpickles code).

    A {"state_dict": ...} wrapper (Lightning, stable-audio-tools' unwrap, WavTokenizer) is unwrapped."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: checkpoint file not found")
    if path.suffix == ".safetensors":
        from safetensors.torch import load_file

        return load_file(str(path))
    try:
        obj = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # an UnpicklingError means the file wants to run code: refuse
        raise ValueError(
            f"{path}: cannot be read with torch.load(weights_only=True) ({err}); codeclab never "
            "unpickles code: re-save the state dict alone, or as safetensors"
        ) from err
    if isinstance(obj, dict) and isinstance(obj.get("state_dict"), dict):
        obj = obj["state_dict"]
    if not isinstance(obj, dict) or not all(isinstance(v, Tensor) for v in obj.values()):
        raise ValueError(f"{path}: expected a state dict (name -> tensor) or {{'state_dict': ...}}")
    return dict(obj)


def find_file(checkpoint: Path, names: tuple[str, ...], what: str) -> Path:
    """checkpoint: a file or a directory -> the first of `names` beside/inside it, else a clear error."""
    folder = checkpoint if checkpoint.is_dir() else checkpoint.parent
    for name in names:
        if (folder / name).is_file():
            return folder / name
    raise FileNotFoundError(
        f"{folder}: no {what} found (looked for {', '.join(names)}); the source's config "
        "decides the preset, so it must lie beside the weights"
    )


def find_weights(checkpoint: Path, names: tuple[str, ...]) -> Path:
    """The weights file: `checkpoint` itself when it is a file, else the first of `names` inside it."""
    if checkpoint.is_file():
        return checkpoint
    return find_file(checkpoint, names, "weights file")


def read_yaml(path: Path) -> dict:
    with open(path) as f:
        return yaml.safe_load(f)


def read_json(path: Path) -> dict:
    with open(path) as f:
        return json.load(f)


def remap(
    state: dict[str, Tensor], rule: Callable[[str, Tensor], tuple[str, Tensor] | None], source: str
) -> dict[str, Tensor]:
    """Apply `rule` to every (key, tensor): it returns the codeclab (key, tensor), or None when the key is not
    one it knows. Unknown keys are an error that lists them all (a silent drop would hide a wrong map)."""
    out, left = {}, []
    for key, value in state.items():
        mapped = rule(key, value)
        if mapped is None:
            left.append(key)
            continue
        new_key, new_value = mapped
        if new_key in out:
            raise ValueError(f"{source}: two keys map to {new_key} (the second is {key})")
        out[new_key] = new_value
    if left:
        raise ValueError(f"{source}: {len(left)} key(s) left over, not part of the converted codec: {_listing(left)}")
    return out


def check_against(state: dict[str, Tensor], expected: dict[str, Tensor], source: str) -> None:
    """Every expected key present with its shape, nothing else: else an error listing all differences."""
    extra, missing, mismatched = key_differences(state, expected)
    shapes = [f"{k}: {tuple(state[k].shape)} vs {tuple(expected[k].shape)}" for k in mismatched]
    problems = []
    if missing:
        problems.append(f"{len(missing)} codeclab key(s) missing from the checkpoint: {_listing(missing)}")
    if extra:
        problems.append(f"{len(extra)} key(s) left over (converted names codeclab does not have): {_listing(extra)}")
    if shapes:
        problems.append(f"{len(shapes)} shape mismatch(es) (checkpoint vs codeclab): {_listing(shapes)}")
    if problems:
        raise ValueError(f"{source}: " + "; ".join(problems))


def _listing(keys: list[str], most: int = 20) -> str:
    shown = ", ".join(keys[:most])
    return shown + (f", ... ({len(keys) - most} more)" if len(keys) > most else "")


def fill_bookkeeping(state: dict[str, Tensor], expected: dict[str, Tensor]) -> dict[str, Tensor]:
    """Add codeclab-only state no published checkpoint has (a codebook's sampling-generator state,
    `_extra_state`) from a freshly built codec: it seeds k-means/dead-code sampling, not the outputs."""
    for key, value in expected.items():
        if key.endswith("_extra_state") and key not in state:
            state[key] = value.clone()
    return state


def split_prefixes(state: dict[str, Tensor], drop: tuple[str, ...]) -> tuple[dict[str, Tensor], list[str]]:
    """-> (the keys outside `drop`, the sorted list of dropped ones): for parts a checkpoint holds that are
    deliberately not the codec (an unused decoder, training losses), named in the converted source."""
    kept = {k: v for k, v in state.items() if not k.startswith(drop)}
    return kept, sorted(k for k in state if k.startswith(drop))
