"""Test-only stand-ins for imports the official packages make but their model paths never call (torchaudio,
alias_free_torch, k_diffusion, einops_exts), and a demo clip. The official models themselves are real."""

from __future__ import annotations

import importlib
import sys
import types

import pytest
import torch
from torch import nn

from src.data.audio import read_audio
from src.data.demo import default_root, is_complete


class _Stub(types.ModuleType):
    """A module whose every attribute is a class that refuses to be built: an import succeeds, a call fails."""

    def __getattr__(self, attr):
        if attr.startswith("__"):
            raise AttributeError(attr)

        def refuse(self, *args, **kwargs):
            raise RuntimeError(f"test stub {type(self).__name__} was called: the model path needs it")

        return type(attr, (), {"__init__": refuse})


class _Spectrogram(nn.Module):
    def __init__(self, n_fft: int) -> None:
        super().__init__()
        self.register_buffer("window", torch.hann_window(n_fft))


class _MelScale(nn.Module):
    def __init__(self, fb: torch.Tensor) -> None:
        super().__init__()
        self.register_buffer("fb", fb)


class MelSpectrogram(nn.Module):
    """torchaudio.transforms.MelSpectrogram as Vocos builds it (power 1, HTK filters, no norm, reflect
    centring), with torchaudio's buffer names; the filters come from librosa, independent of codeclab's."""

    def __init__(self, sample_rate, n_fft, hop_length, n_mels, center=True, power=1, **kwargs):
        super().__init__()
        import librosa

        assert power == 1 and not kwargs, "only the arguments Vocos passes"
        fb = librosa.filters.mel(sr=sample_rate, n_fft=n_fft, n_mels=n_mels, htk=True, norm=None)
        self.spectrogram = _Spectrogram(n_fft)
        self.mel_scale = _MelScale(torch.from_numpy(fb).float().T)  # torchaudio: (n_freqs, n_mels)
        self.win_length, self.hop_length, self.n_fft, self.center = n_fft, hop_length, n_fft, center

    def forward(self, audio):
        spec = torch.stft(
            audio,
            self.n_fft,
            self.hop_length,
            window=self.spectrogram.window,
            center=self.center,
            pad_mode="reflect",
            return_complex=True,
        ).abs()
        return (spec.transpose(-1, -2) @ self.mel_scale.fb).transpose(-1, -2)


STUBBED = (
    "torchaudio",
    "torchaudio.transforms",
    "torchaudio.functional",
    "torchaudio.functional.functional",
    "alias_free_torch",
    "k_diffusion",
    "einops_exts",
    "audiotools",
)


OFFICIAL_PACKAGES = ("vocos", "stable_audio_tools")


def _make_stubs() -> dict[str, types.ModuleType]:
    """Made once: modules imported under the stubs keep referring to these same objects."""
    stubs = {}
    for name in STUBBED:
        stubs[name] = _Stub(name)
        stubs[name].__path__ = []
    stubs["torchaudio.transforms"].MelSpectrogram = MelSpectrogram
    stubs["torchaudio"].transforms = stubs["torchaudio.transforms"]
    return stubs


_STUBS = _make_stubs()


@pytest.fixture
def official_imports(monkeypatch):
    """The stubs in sys.modules for this test (a real install, if any, is put back after) -> import_module."""
    for name, stub in _STUBS.items():
        monkeypatch.setitem(sys.modules, name, stub)
    # an official package imported earlier in this process (src.benchmarks._official's stubs, another test's)
    # holds references to those stand-ins: import it afresh under these ones, and put the old one back after
    for name in [n for n in sys.modules if n.split(".")[0] in OFFICIAL_PACKAGES]:
        monkeypatch.delitem(sys.modules, name)
    return importlib.import_module


def demo_clip(sample_rate: int, channels: int, seconds: float = 1.5) -> torch.Tensor:
    """The first test-split demo utterance at sample_rate/channels -> (1, C, T); skips when not built."""
    root = default_root()
    if not is_complete(root):
        pytest.skip(f"demo corpus not built under {root} (python -m src.data.demo)")
    path = max((root / "wav").rglob("*.wav"))
    wav = read_audio(path, sample_rate=sample_rate, channels=channels)
    return wav[None, :, : int(seconds * sample_rate)]


def perturb(module: nn.Module, scale: float = 0.02, seed: int = 0) -> nn.Module:
    """Add noise to every parameter, so that a swapped norm weight/bias or a transposed map shows."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in module.parameters():
            p.add_(scale * torch.randn(p.shape, generator=gen))
    return module


def require(package: str) -> None:
    """Skip the module when `package` is not installed (find_spec: importing it would need the stubs)."""
    import importlib.util

    if importlib.util.find_spec(package) is None:
        pytest.skip(f"the interop extra ({package}, installed --no-deps) is not installed", allow_module_level=True)
