"""Shared fixture: a folder of good and bad audio files (tiny: a few seconds in all)."""

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

BAD = {  # file -> the kind of AudioError it must be skipped with
    "bad/unreadable.wav": "unreadable",
    "bad/empty.wav": "empty",
    "bad/nan.wav": "non-finite",
    "bad/short.wav": "too short",
}
GOOD = ("good/stereo44.wav", "good/mono22.flac", "good/ok16.wav")


def tone(freq: float, seconds: float, rate: int, amp: float = 0.5) -> np.ndarray:
    t = np.arange(round(seconds * rate)) / rate
    return (amp * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def make_audio_folder(root: Path) -> Path:
    (root / "bad").mkdir(parents=True)
    (root / "good").mkdir()
    (root / "bad/unreadable.wav").write_bytes(b"RIFF not really a wav file at all" * 4)
    sf.write(root / "bad/empty.wav", np.zeros(0, np.float32), 16000)
    nan = tone(300, 1.5, 16000)
    nan[100::1000] = np.nan  # in every crop: found whichever span is read
    sf.write(root / "bad/nan.wav", nan, 16000, subtype="FLOAT")
    sf.write(root / "bad/short.wav", tone(300, 0.4, 16000), 16000)
    stereo = np.stack([tone(440, 1.5, 44100, 0.6), tone(440, 1.5, 44100, 0.2)], axis=1)
    sf.write(root / "good/stereo44.wav", stereo, 44100)
    sf.write(root / "good/mono22.flac", tone(1000, 1.25, 22050), 22050)
    sf.write(root / "good/ok16.wav", tone(200, 2.0, 16000), 16000)
    (root / "good/notes.txt").write_text("not audio: ignored by extension")
    return root


@pytest.fixture
def audio_folder(tmp_path) -> Path:
    return make_audio_folder(tmp_path / "corpus")
