"""Audio I/O for codec training: read any soundfile format, map channels, resample with soxr, check.

Every array crossing this module's boundary is float32 channel-first (C, T). Bad audio raises an
`AudioError` subclass whose `reason` is a short human phrase and whose `kind` is a stable key used
to count skips (see the failure policy in shared/DESIGN.md).
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

import numpy as np
import soundfile as sf
import soxr

if TYPE_CHECKING:  # torch is imported where tensors are made: the index CLI and its workers skip it
    import torch

# Extensions soundfile (libsndfile) can decode; compared lower-case. Major formats from
# sf.available_formats() plus their usual alternative spellings.
_EXTRA_EXTENSIONS = {".aif", ".aifc", ".oga", ".opus", ".snd", ".wave"}
AUDIO_EXTENSIONS = frozenset({f".{name.lower()}" for name in sf.available_formats()} | _EXTRA_EXTENSIONS) - {
    ".raw"
}  # headerless PCM cannot be read without being told its layout

RESAMPLE_QUALITY = "HQ"  # soxr 'HQ': 20-bit precision, the libsoxr default; VHQ buys nothing at 16-bit
SQRT_HALF = 0.7071067811865476  # ITU-R BS.775 centre/surround downmix gain (-3 dB)


class AudioError(ValueError):
    """A file that cannot be used; `reason` says why in a few words, `kind` groups reasons."""

    kind = "bad audio"

    def __init__(self, path: str | Path, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path, self.reason = str(path), reason


class UnreadableAudio(AudioError):
    kind = "unreadable"


class EmptyAudio(AudioError):
    kind = "empty"


class NonFiniteAudio(AudioError):
    kind = "non-finite"


class TooShortAudio(AudioError):
    kind = "too short"


class ChannelMismatch(AudioError):
    kind = "channels"


class MissingAudio(AudioError):
    kind = "missing"


class TruncatedAudio(AudioError):
    kind = "truncated"


class AudioInfo(NamedTuple):  # a NamedTuple, not a dataclass: made once per file at every start
    """What a scan learns about a file: its native rate, channel count and length in frames."""

    sample_rate: int
    channels: int
    frames: int

    @property
    def duration(self) -> float:
        return self.frames / self.sample_rate


def audio_info(path: str | Path) -> AudioInfo:
    """Header-only look at a file (libsndfile); raises MissingAudio / UnreadableAudio / EmptyAudio."""
    path = Path(path)
    _check_exists(path)
    try:
        with sf.SoundFile(str(path)) as f:  # not sf.info: that also formats a log string (1.5x slower)
            rate, channels, frames = f.samplerate, f.channels, f.frames
    except Exception as err:  # libsndfile raises RuntimeError/LibsndfileError/TypeError
        raise UnreadableAudio(path, f"unreadable ({_short(err)})") from err
    if frames <= 0 or rate <= 0:
        raise EmptyAudio(path, "empty (0 samples)")
    return AudioInfo(int(rate), int(channels), int(frames))


def _check_exists(path: Path) -> None:
    """MissingAudio, or EmptyAudio for a 0-byte file (libsndfile would call it unreadable)."""
    if not path.is_file():
        raise MissingAudio(path, "file not found")
    if path.stat().st_size == 0:
        raise EmptyAudio(path, "empty (0-byte file)")


def map_channels(x: np.ndarray, channels: int, path: str | Path = "<array>") -> np.ndarray:
    """x: (C_in, T) -> (channels, T). Mono: mean downmix. Stereo: duplicate mono, ITU downmix of
    quad (L R Ls Rs) and 5.1 (L R C LFE Ls Rs). Any other pairing raises ChannelMismatch."""
    c_in = x.shape[0]
    if c_in == channels:
        return x
    if channels == 1:
        return x.mean(axis=0, keepdims=True)
    if channels == 2 and c_in == 1:
        return np.repeat(x, 2, axis=0)
    if channels == 2 and c_in == 4:
        return np.stack([x[0] + x[2], x[1] + x[3]]) * 0.5
    if channels == 2 and c_in == 6:  # LFE dropped, as ITU-R BS.775 does
        left = x[0] + SQRT_HALF * (x[2] + x[4])
        right = x[1] + SQRT_HALF * (x[2] + x[5])
        return np.stack([left, right]) / (1 + 2 * SQRT_HALF)
    raise ChannelMismatch(path, f"has {c_in} channels; no standard mapping to {channels}")


def check_mappable(c_in: int, channels: int, path: str | Path) -> None:
    """Raise ChannelMismatch now (at scan time) if `map_channels` would refuse this pairing."""
    map_channels(np.zeros((c_in, 1), np.float32), channels, path)


def resample(x: np.ndarray, rate_in: int, rate_out: int) -> np.ndarray:
    """x: (C, T) at rate_in -> (C, T') at rate_out with soxr (T' = round(T * rate_out / rate_in))."""
    if rate_in == rate_out:
        return x
    y = soxr.resample(np.ascontiguousarray(x.T), rate_in, rate_out, quality=RESAMPLE_QUALITY)
    return np.ascontiguousarray(y.reshape(y.shape[0], -1).T)


def check_finite(x: np.ndarray, path: str | Path) -> None:
    if x.size == 0:
        raise EmptyAudio(path, "empty (0 samples)")
    if not np.isfinite(x).all():
        bad = int((~np.isfinite(x)).sum())
        raise NonFiniteAudio(path, f"contains NaN/Inf ({bad} samples)")


MEMBER = "::"  # "<shard.tar>::<offset>:<size>:<item>" names a member of a tar shard (src.data.shard)


def open_source(path: str | Path):
    """A file path for soundfile, or for a tar member reference the member's bytes (io.BytesIO):
    one read at a known offset, no scan of the shard."""
    text = str(path)
    if MEMBER in text:
        tar, _, span = text.rpartition(MEMBER)
        offset, size = (int(v) for v in span.split(":", 2)[:2])  # then the item, for messages
        try:
            with open(tar, "rb") as f:
                f.seek(offset)
                blob = f.read(size)
        except OSError as err:
            raise MissingAudio(path, f"shard unreadable ({_short(err)})") from err
        if len(blob) < size:
            raise TruncatedAudio(path, f"truncated shard ({len(blob)} of {size} bytes)")
        return io.BytesIO(blob)
    _check_exists(Path(text))
    return text


def read_native(path: str | Path, offset: int = 0, frames: int = -1) -> tuple[np.ndarray, int]:
    """Read `frames` native frames from `offset` (all by default) -> (float32 (C, T), native rate).

    Raises an AudioError subclass for a missing, unreadable (undecodable), empty or non-finite read."""
    source = open_source(path)
    try:
        data, rate = sf.read(source, start=offset, frames=frames, dtype="float32", always_2d=True)
    except Exception as err:
        raise UnreadableAudio(path, f"unreadable ({_short(err)})") from err
    x = np.ascontiguousarray(data.T)
    check_finite(x, path)
    return x, int(rate)


def convert(
    x: np.ndarray, rate: int, sample_rate: int | None, channels: int | None, path: str | Path = "<array>"
) -> torch.Tensor:
    """x: (C_in, T) float32 at `rate` -> (channels, T') tensor at sample_rate (None keeps native)."""
    if channels is not None:
        x = map_channels(x, int(channels), path)
    if sample_rate is not None:
        x = resample(x, int(rate), int(sample_rate))
    import torch

    return torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32))


def read_audio(
    path: str | Path,
    sample_rate: int | None = None,
    channels: int | None = None,
    offset: int = 0,
    frames: int = -1,
) -> torch.Tensor:
    """Read `frames` native frames from `offset` (all by default) -> float32 (C, T).

    sample_rate / channels: convert to these (soxr resampling, `map_channels`); None keeps native.
    Raises an AudioError subclass for a missing, unreadable, empty or non-finite file.
    """
    x, rate = read_native(path, offset, frames)
    return convert(x, rate, sample_rate, channels, path)


def write_audio(path: str | Path, wav: torch.Tensor | np.ndarray, sample_rate: int, subtype: str = "PCM_16") -> Path:
    """Write wav (C, T) (or (T,)) to `path`; subtype "PCM_16" (clipped to [-1, 1]) or "FLOAT".

    The format follows the extension (.wav, .flac, ...). Parent folders are created."""
    if hasattr(wav, "detach"):  # a torch.Tensor
        wav = wav.detach().cpu().float().numpy()
    x = np.asarray(wav, dtype=np.float32)
    if x.ndim == 1:
        x = x[None]
    if x.ndim != 2:
        raise ValueError(f"write_audio({path}): expected (C, T) or (T,), got shape {x.shape}")
    if subtype.upper().startswith("PCM"):
        x = np.clip(x, -1.0, 1.0)  # libsndfile would wrap around, not clip
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(str(path), x.T, int(sample_rate), subtype=subtype)
    return path


def _short(err: Exception) -> str:
    text = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
    return text if len(text) <= 120 else text[:117] + "..."
