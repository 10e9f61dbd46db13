"""Import the official codec packages at random init, stubbing only imports their model path never calls.

descript-audio-codec imports audiotools and argbind at package import (for its CLI and AudioSignal I/O);
encodec imports torchaudio in its file utilities. The model classes use none of them, so plain stand-ins
in sys.modules let the real model code run; the stand-ins are removed again afterwards.
"""

from __future__ import annotations

import contextlib
import importlib
import sys
import types
from typing import ClassVar

from torch import nn


def _argbind() -> types.ModuleType:
    mod = types.ModuleType("argbind")
    mod.bind = lambda *a, **k: lambda fn: fn  # a decorator that leaves the CLI function as it is
    return mod


def _audiotools() -> dict[str, types.ModuleType]:
    root, ml = types.ModuleType("audiotools"), types.ModuleType("audiotools.ml")

    class BaseModel(nn.Module):  # the official DAC is an nn.Module through it (audiotools' save/load unused)
        INTERN: ClassVar[list] = []
        EXTERN: ClassVar[list] = []

    ml.BaseModel, ml.Accelerator = BaseModel, object
    root.ml, root.AudioSignal, root.STFTParams = ml, object, object
    return {"audiotools": root, "audiotools.ml": ml}


def _torchaudio() -> dict[str, types.ModuleType]:
    return {"torchaudio": types.ModuleType("torchaudio")}


STUBS = {"dac": lambda: {"argbind": _argbind(), **_audiotools()}, "encodec": _torchaudio}


@contextlib.contextmanager
def official(package: str):
    """Import `package` (a key of STUBS) with its stand-ins; on exit remove the stand-ins and the package's
    modules (only those: C extensions imported meanwhile by other code cannot be imported twice)."""
    stubs = {k: v for k, v in STUBS[package]().items() if k not in sys.modules}
    sys.modules.update(stubs)
    try:
        yield importlib.import_module(package)
    finally:
        for name in [n for n in sys.modules if n in stubs or n == package or n.startswith(package + ".")]:
            del sys.modules[name]
