import numpy as np
import pytest
import soundfile as sf
import torch

from src.data.audio import (
    AUDIO_EXTENSIONS,
    ChannelMismatch,
    EmptyAudio,
    MissingAudio,
    NonFiniteAudio,
    UnreadableAudio,
    audio_info,
    map_channels,
    read_audio,
    write_audio,
)
from tests.data.conftest import tone


def _peak_hz(x: torch.Tensor, rate: int) -> float:
    spec = np.abs(np.fft.rfft(x.numpy()[0]))
    return float(np.fft.rfftfreq(x.shape[-1], 1 / rate)[spec.argmax()])


def test_stereo_44k_is_downmixed_and_resampled(audio_folder):
    wav = read_audio(audio_folder / "good/stereo44.wav", sample_rate=16000, channels=1)
    assert wav.dtype == torch.float32 and wav.shape == (1, 24000)
    assert abs(_peak_hz(wav, 16000) - 440) < 2  # resampling keeps the pitch
    assert wav.abs().max() == pytest.approx(0.4, abs=0.01)  # mean of 0.6 and 0.2 amplitudes


def test_mono_is_duplicated_to_stereo(audio_folder):
    wav = read_audio(audio_folder / "good/mono22.flac", sample_rate=16000, channels=2)
    assert wav.shape == (2, 20000)
    assert torch.equal(wav[0], wav[1])
    assert abs(_peak_hz(wav, 16000) - 1000) < 2


def test_native_read_keeps_rate_and_channels(audio_folder):
    wav = read_audio(audio_folder / "good/stereo44.wav")
    assert wav.shape == (2, 66150)
    info = audio_info(audio_folder / "good/stereo44.wav")
    assert (info.sample_rate, info.channels, info.frames) == (44100, 2, 66150)


@pytest.mark.parametrize(
    "name, error",
    [
        ("bad/unreadable.wav", UnreadableAudio),
        ("bad/empty.wav", EmptyAudio),
        ("bad/nan.wav", NonFiniteAudio),
        ("bad/missing.wav", MissingAudio),
    ],
)
def test_bad_files_raise_typed_errors_with_reason(audio_folder, name, error):
    with pytest.raises(error) as info:
        read_audio(audio_folder / name)
    assert info.value.reason and name.split("/")[1] in str(info.value)


def test_channel_mapping_rules():
    x = np.arange(12, dtype=np.float32).reshape(6, 2)
    stereo = map_channels(x, 2)
    assert stereo.shape == (2, 2)
    quad = map_channels(np.ones((4, 3), np.float32), 2)
    assert np.allclose(quad, 1.0)  # equal channels keep their level
    assert np.allclose(map_channels(np.ones((6, 3), np.float32), 2), 1.0)
    with pytest.raises(ChannelMismatch, match="3 channels"):
        map_channels(np.zeros((3, 5), np.float32), 2)
    with pytest.raises(ChannelMismatch):
        map_channels(np.zeros((2, 5), np.float32), 4)


def test_write_audio_round_trip(tmp_path):
    x = torch.from_numpy(np.stack([tone(300, 0.1, 16000), -tone(300, 0.1, 16000)]))
    pcm = read_audio(write_audio(tmp_path / "a/pcm.wav", x, 16000))
    assert pcm.shape == x.shape and (pcm - x).abs().max() < 1e-4  # 16-bit quantization only
    flt = read_audio(write_audio(tmp_path / "flt.wav", x * 3, 16000, subtype="FLOAT"))
    assert torch.equal(flt, x * 3)  # float keeps out-of-range values
    clipped = read_audio(write_audio(tmp_path / "clip.wav", x * 3, 16000))
    assert clipped.abs().max() <= 1.0
    assert sf.info(str(tmp_path / "a/pcm.wav")).subtype == "PCM_16"


def test_extensions_cover_common_formats():
    assert {".wav", ".flac", ".ogg", ".aiff"} <= AUDIO_EXTENSIONS
    assert ".raw" not in AUDIO_EXTENSIONS


def test_a_zero_byte_file_is_empty_not_unreadable(tmp_path):
    (tmp_path / "zero.wav").write_bytes(b"")
    for read in (audio_info, read_audio):
        with pytest.raises(EmptyAudio, match="0-byte file") as info:
            read(tmp_path / "zero.wav")
        assert info.value.kind == "empty"
