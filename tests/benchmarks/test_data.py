import json

import pytest

from src.benchmarks import data as bench


@pytest.mark.slow  # three fresh interpreters per folder size
def test_bench_data_writes_its_figures(tmp_path):
    out = tmp_path / "data.json"
    result = bench.main(
        ["files=30", "seconds=2", "big_files=40", "big_seconds=0.3", "crops=5", f"dir={tmp_path}", f"out={out}"]
    )
    assert json.loads(out.read_text()) == json.loads(json.dumps(result))
    small, big = result["index"]["30x2s"], result["index"]["40x0.3s"]
    assert small["hours"] == pytest.approx(60 / 3600) and "full_decode_s" in small
    assert 0 < small["train_items"] <= 30 and 0 < big["train_items"] <= 40
    for row in (small, big):
        assert row["cold_s"] > 0 and row["warm_s"] > 0 and row["cold_cpu_s"] > 0
    for case in ("16k_mono_from_44k_stereo", "44k_stereo_from_48k_stereo", "16k_mono_from_16k_mono"):
        assert result["crops"][case]["crops_per_s_per_worker"] > 0
        assert result["crops"][case]["workers_to_keep_up"] >= 1
    assert not any(p.name.startswith("codeclab-bench-data-") for p in tmp_path.iterdir())  # cleaned up


def test_make_folder_writes_distinct_readable_files(tmp_path):
    import soundfile as sf

    hours = bench.make_folder(tmp_path / "f", 12, 0.5, rate=44100, channels=2)
    files = sorted((tmp_path / "f").rglob("*.flac"))
    assert hours == pytest.approx(12 * 0.5 / 3600) and len(files) == 12
    info = sf.info(str(files[-1]))
    assert (info.samplerate, info.channels, info.frames) == (44100, 2, 22050)
