"""The comparison table: one row per metrics.json (a learned codec's and Opus runs'), and a clear
error naming a missing file."""

import json

import numpy as np

from src.baseline.opus import SndfileOpus, measure
from src.baseline.table import main
from src.evaluate import write_outputs
from src.metrics.bitrate import CodeStats
from src.metrics.suite import Job, score_jobs

NAMES = ["pesq_wb", "stoi", "mel_distance"]


def _codec_run(tmp_path, speech_files):
    """A learned-codec-style eval/metrics.json: real scores, CodeStats bitrate section."""
    import soundfile as sf

    ref, sr = sf.read(str(speech_files[0]), dtype="float32", always_2d=True)
    est = SndfileOpus().roundtrip(ref.T, sr, 12000).audio
    rows = score_jobs([Job("a", ref.T, est, sr)], NAMES, num_workers=0, progress=False)
    stats = CodeStats([1024] * 2, 50.0)
    stats.update(np.random.default_rng(0).integers(0, 1024, (1, 2, 200)))
    write_outputs(tmp_path / "run" / "eval", rows, NAMES, stats.summary(), {})
    return tmp_path / "run" / "eval" / "metrics.json", rows


def _opus_run(tmp_path, speech_files, bitrate, codec_rows):
    import soundfile as sf

    trip = SndfileOpus().roundtrip(sf.read(str(speech_files[0]), dtype="float32", always_2d=True)[0].T, 16000, bitrate)
    bitrate_section = {
        "bitrate_nominal": float(bitrate),
        "codec": "opus",
        **measure([trip.data], sf.info(str(speech_files[0])).duration),
    }
    out = tmp_path / f"opus-{bitrate}"
    result = write_outputs(out / "eval", codec_rows, NAMES, bitrate_section, {"baseline": {"backend": "libsndfile"}})
    (out / "eval" / "metrics.json").write_text(json.dumps(result))
    return out


def test_table_has_a_row_per_input(tmp_path, speech_files, capsys):
    codec, rows = _codec_run(tmp_path, speech_files)
    dirs = [_opus_run(tmp_path, speech_files, b, rows) for b in (6000, 8000, 12000)]
    assert main([str(codec), *map(str, dirs)]) == 0
    out = capsys.readouterr().out.splitlines()
    body = [line for line in out if line.startswith(("codec", "opus"))]
    assert len(body) == 4 and body[0].startswith(f"codec {codec.parent.parent}")
    assert [line.split()[1] for line in body[1:]] == ["6", "8", "12"]
    assert body[0].split()[-6] == "1000"  # nominal of the codec: 50 Hz x 2 codebooks x 10 bits
    pesq = rows[0]["pesq_wb"]
    assert all(f"{pesq:.3f}" in line for line in body)
    assert any("container" in line for line in out)


def test_table_names_a_missing_file(tmp_path, speech_files, capsys):
    codec, _ = _codec_run(tmp_path, speech_files)
    missing = tmp_path / "opus-8000"
    assert main([str(codec), str(missing)]) == 1
    err = capsys.readouterr().err
    assert str(missing) in err and "not found" in err
    missing.mkdir()  # a directory without eval/metrics.json
    assert main([str(codec), str(missing)]) == 1
    assert "no eval/metrics.json" in capsys.readouterr().err
