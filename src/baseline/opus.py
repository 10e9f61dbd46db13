"""Opus (RFC 6716, Valin et al. 2012) as a reference codec: round trips through the Ogg Opus (RFC 7845)
encoder in the libsndfile that `soundfile` bundles, or through opus-tools' opusenc/opusdec.

Every encoder takes a target bitrate in bit/s; `measure` reads the real bitrate back from the Ogg
pages, split into Opus packet payload and container overhead. Arrays are float32 `(C, T)`.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

from src.data.audio import resample

# libsndfile 1.2.2 (ogg_opus.c) maps compression_level q in [0, 1] linearly to the libopus VBR
# target, per channel: bitrate = int((1 - q) * 250000 + 6000). 6 kbit/s per channel is its floor.
SNDFILE_FLOOR, SNDFILE_SPAN = 6000, 250000
OPUS_RATES = (8000, 12000, 16000, 24000, 48000)  # rates libopus codes natively; others go via 48 kHz


@dataclass
class RoundTrip:
    """One item through the codec: the Ogg Opus file bytes and the decoded audio `(C, T)`."""

    data: bytes
    audio: np.ndarray


def compression_level(target_bps: float, channels: int) -> float:
    """The libsndfile compression_level whose VBR target is `target_bps` (clamped to [0, 1])."""
    q = 1.0 - (target_bps / channels - SNDFILE_FLOOR) / SNDFILE_SPAN
    return float(min(1.0, max(0.0, q)))


def sndfile_target(level: float, channels: int) -> int:
    """libsndfile's own formula: the libopus bitrate it sets for `level` (bit/s, all channels)."""
    return int((1.0 - level) * SNDFILE_SPAN + SNDFILE_FLOOR) * channels


def _coded_rate(sample_rate: int) -> int:
    return sample_rate if sample_rate in OPUS_RATES else 48000


class SndfileOpus:
    """Ogg Opus through libsndfile (no system dependency): VBR, 20 ms frames, complexity 10."""

    name = "libsndfile"

    def version(self) -> str:
        return f"libsndfile {sf.__libsndfile_version__}"

    def setting(self, target_bps: float, channels: int) -> dict:
        level = compression_level(target_bps, channels)
        return {"compression_level": level, "target_bitrate": sndfile_target(level, channels)}

    def roundtrip(self, x: np.ndarray, sample_rate: int, target_bps: float) -> RoundTrip:
        rate = _coded_rate(sample_rate)
        buf = io.BytesIO()
        level = compression_level(target_bps, x.shape[0])
        sf.write(buf, resample(x, sample_rate, rate).T, rate, format="OGG", subtype="OPUS", compression_level=level)
        data = buf.getvalue()
        y, rate_out = sf.read(io.BytesIO(data), dtype="float32", always_2d=True)
        if rate_out != rate:  # libsndfile decodes at the lowest Opus rate >= the stored input rate
            raise RuntimeError(f"libsndfile decoded Opus at {rate_out} Hz, expected {rate} Hz")
        return RoundTrip(data, resample(np.ascontiguousarray(y.T), rate, sample_rate))


class OpusTools:
    """Ogg Opus through opusenc/opusdec (opus-tools) when they are on PATH; VBR, 20 ms frames."""

    name = "opus-tools"

    def __init__(self) -> None:
        missing = [t for t in ("opusenc", "opusdec") if shutil.which(t) is None]
        if missing:
            raise FileNotFoundError(
                f"backend=opus-tools needs {' and '.join(missing)} on PATH "
                "(package opus-tools); or use backend=libsndfile"
            )

    def version(self) -> str:
        out = subprocess.run(["opusenc", "--version"], check=False, capture_output=True, text=True)
        return (out.stdout or out.stderr).strip().splitlines()[0]

    def setting(self, target_bps: float, channels: int) -> dict:
        return {"target_bitrate": float(target_bps)}

    def roundtrip(self, x: np.ndarray, sample_rate: int, target_bps: float) -> RoundTrip:
        with tempfile.TemporaryDirectory() as tmp:
            src, enc, dec = Path(tmp) / "in.wav", Path(tmp) / "x.opus", Path(tmp) / "out.wav"
            sf.write(src, x.T, sample_rate, subtype="PCM_24")
            _run(["opusenc", "--quiet", "--bitrate", f"{target_bps / 1000:.3f}", str(src), str(enc)])
            _run(["opusdec", "--quiet", "--float", "--rate", str(sample_rate), str(enc), str(dec)])
            y, rate_out = sf.read(dec, dtype="float32", always_2d=True)
            if rate_out != sample_rate:
                raise RuntimeError(f"opusdec wrote {rate_out} Hz, asked for {sample_rate} Hz")
            return RoundTrip(enc.read_bytes(), np.ascontiguousarray(y.T))


def _run(cmd: list[str]) -> None:
    out = subprocess.run(cmd, check=False, capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[:1])} failed ({out.returncode}): {out.stderr.strip()[:200]}")


ENCODERS = {"libsndfile": SndfileOpus, "opus-tools": OpusTools}


def get_encoder(name: str):
    if name not in ENCODERS:
        raise ValueError(f"backend={name} is unknown; choose from {sorted(ENCODERS)}")
    return ENCODERS[name]()


def ogg_packets(data: bytes) -> tuple[list[int], int]:
    """Sizes of the Ogg packets in `data` (RFC 3533 lacing) and the page count.

    For Ogg Opus the first two packets are the OpusHead and OpusTags headers; the rest is audio."""
    sizes, pages, pos, cur = [], 0, 0, 0
    while pos < len(data):
        if data[pos : pos + 4] != b"OggS" or pos + 27 > len(data):
            raise ValueError(f"not an Ogg page at byte {pos}")
        n = data[pos + 26]
        lacing = data[pos + 27 : pos + 27 + n]
        pos += 27 + n + sum(lacing)
        pages += 1
        for lace in lacing:
            cur += lace
            if lace < 255:  # a lacing value under 255 ends a packet
                sizes.append(cur)
                cur = 0
    return sizes, pages


def vendor(data: bytes) -> str:
    """The OpusTags vendor string (the libopus version that encoded the stream)."""
    at = data.find(b"OpusTags")
    if at < 0:
        return "unknown"
    n = int.from_bytes(data[at + 8 : at + 12], "little")
    return data[at + 12 : at + 12 + n].decode("utf-8", "replace")


def measure(files: list[bytes], seconds: float) -> dict:
    """Bitrates (bit/s over `seconds` of audio) of Ogg Opus files, from their sizes.

    measured = Opus audio packets only (what the codec spends); measured_file = whole files;
    the difference is the container: header packets (OpusHead, OpusTags with libsndfile's
    512-byte padding) and Ogg page headers, a fixed cost per file that short clips feel most."""
    total = payload = headers = pages = 0
    for data in files:
        sizes, n_pages = ogg_packets(data)
        total += len(data)
        headers += sum(sizes[:2])
        payload += sum(sizes[2:])
        pages += n_pages
    per_s = 8.0 / seconds
    return {
        "bitrate_measured": payload * per_s,
        "bitrate_measured_file": total * per_s,
        "container_overhead": (total - payload) * per_s,
        "container_headers": headers * per_s,
        "container_pages": (total - payload - headers) * per_s,
        "n_pages": pages,
        "bytes_total": total,
        "bytes_payload": payload,
    }
