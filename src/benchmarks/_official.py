"""The official DAC (Kumar et al. 2023), EnCodec (Défossez et al. 2022) and Vocos (Siuzdak 2023) modules
beside codeclab's presets, with the same weights, for `python -m src.bench parity`.

The official packages come from the `bench` extra, installed with --no-deps: their top-level imports of
audiotools / torchaudio are stubbed here (the model code used never calls them). Weights are copied in
registration order, shape by shape (the lead may switch this to src/convert).
"""

from __future__ import annotations

import sys
import types

import torch
from torch import nn

from src.inference import fold_weight_norm  # noqa: F401  (re-exported for the bench)

PACKAGES = {"dac": "descript-audio-codec", "encodec": "encodec", "vocos": "vocos"}


def _stub(name: str, **attrs) -> None:
    if name in sys.modules:
        return
    module = types.ModuleType(name)
    module.__dict__.update(attrs)
    sys.modules[name] = module


def stub_missing_imports() -> None:
    """audiotools and argbind (DAC) and torchaudio (EnCodec via vocos, Vocos' heads) as empty modules, if absent."""
    try:
        import audiotools  # noqa: F401
    except ImportError:
        base = type("BaseModel", (nn.Module,), {"INTERN": [], "EXTERN": []})  # dac/__init__ appends to them
        _stub("audiotools.ml", BaseModel=base, Accelerator=None)
        _stub("audiotools", AudioSignal=object, STFTParams=object, ml=sys.modules["audiotools.ml"])
    try:
        import argbind  # noqa: F401  (dac.utils' command-line decorators)
    except ImportError:
        _stub("argbind", bind=lambda *args, **kwargs: lambda fn: fn)
    try:
        import torchaudio  # noqa: F401
    except ImportError:
        _stub("torchaudio.functional.functional", _hz_to_mel=None, _mel_to_hz=None)
        _stub("torchaudio.functional", functional=sys.modules["torchaudio.functional.functional"])
        _stub("torchaudio.transforms", Spectrogram=None, MelSpectrogram=None)
        _stub(
            "torchaudio",
            functional=sys.modules["torchaudio.functional"],
            transforms=sys.modules["torchaudio.transforms"],
        )


def _weight_norm_tensors(module: nn.Module) -> list[tuple[str, torch.Tensor]]:
    """Parameters then persistent buffers, in registration order (weight_g/weight_v and
    parametrizations' original0/original1 come in the same order: bias, g, v)."""
    return [
        *module.named_parameters(),
        *((k, v) for k, v in module.named_buffers() if not k.endswith(("inited", "initted"))),
    ]


def copy_by_order(src: nn.Module, dst: nn.Module, buffers: bool = False) -> int:
    """Copy src's parameters (and buffers if asked) into dst's, pairing them in registration order.
    -> tensors copied; a count or shape mismatch raises, naming both tensors."""

    def tensors(m):
        return _weight_norm_tensors(m) if buffers else list(m.named_parameters())

    a, b = tensors(src), tensors(dst)
    if len(a) != len(b):
        raise ValueError(f"{type(src).__name__} has {len(a)} tensors, {type(dst).__name__} {len(b)}")
    with torch.no_grad():
        for (ka, va), (kb, vb) in zip(a, b):
            if va.shape != vb.shape:
                raise ValueError(f"shape mismatch: official {ka} {tuple(va.shape)} vs ours {kb} {tuple(vb.shape)}")
            vb.copy_(va)
    return len(a)
