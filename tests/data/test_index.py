import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import soundfile as sf

from src.data.audio import AudioError, AudioInfo
from src.data.datasets import FolderData, ManifestData
from src.data.index import SUFFIX, AudioIndex, index_path
from tests.data.conftest import tone

ROOT = Path(__file__).resolve().parents[2]
SIZES = {"sample_rate": 16000, "channels": 1, "segment_seconds": 0.1, "batch_size": 2}


def make_files(root: Path, n: int, seconds: float = 0.2, ext: str = "flac") -> list[str]:
    paths = []
    for i in range(n):
        path = root / f"spk{i % 3}" / f"f{i:04d}.{ext}"
        path.parent.mkdir(parents=True, exist_ok=True)
        sf.write(path, tone(200 + i, seconds, 16000), 16000)
        paths.append(str(path))
    return paths


def test_only_touched_added_and_removed_files_are_rescanned(tmp_path):
    paths = make_files(tmp_path / "c", 8)
    first = AudioIndex(tmp_path / "c")
    infos = first.update(paths)
    assert sorted(first.scanned) == sorted(paths) and first.file == tmp_path / "c" / SUFFIX
    assert infos[paths[0]] == AudioInfo(16000, 1, 3200)
    again = AudioIndex(tmp_path / "c")  # as a new process would: state comes from the file only
    assert again.update(paths) == infos and again.scanned == []
    touched, removed = paths[2], paths[5]
    st = os.stat(touched)
    os.utime(touched, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))  # same bytes, new mtime
    changed = paths[6]
    sf.write(changed, tone(300, 0.5, 22050), 22050)  # new content: size and header change
    os.remove(removed)
    added = str(tmp_path / "c/new.wav")
    sf.write(added, tone(100, 0.3, 16000), 16000)
    now = [p for p in paths if p != removed] + [added]
    index = AudioIndex(tmp_path / "c")
    result = index.update(now)
    assert sorted(index.scanned) == sorted([touched, changed, added])
    assert index.stats["removed"] == 1 and removed not in result
    assert result[changed] == AudioInfo(22050, 1, 11025) and result[added] == AudioInfo(16000, 1, 4800)
    rows = [json.loads(line) for line in index.file.read_text().splitlines()[1:]]
    assert sorted(r["path"] for r in rows) == sorted(os.path.relpath(p, tmp_path / "c") for p in now)
    last = AudioIndex(tmp_path / "c")
    assert last.update(now) == result and last.scanned == []


def test_errors_are_cached_and_full_checks_done_once(tmp_path):
    paths = make_files(tmp_path / "c", 2)
    bad = tmp_path / "c/bad.wav"
    bad.write_bytes(b"RIFF not audio" * 8)
    nan = tone(300, 0.2, 16000)
    nan[50] = np.nan
    sf.write(tmp_path / "c/nan.wav", nan, 16000, subtype="FLOAT")
    every = [*paths, str(bad), str(tmp_path / "c/nan.wav")]
    index = AudioIndex(tmp_path / "c")
    head = index.update(every)
    assert head[str(bad)].kind == "unreadable" and isinstance(head[every[-1]], AudioInfo)
    full = index.update(every, full={every[-1]})  # decoding finds what the header cannot show
    assert index.scanned == [every[-1]] and full[every[-1]].kind == "non-finite"
    again = AudioIndex(tmp_path / "c")
    assert isinstance(again.update(every, full={every[-1]})[every[-1]], AudioError)
    assert again.scanned == []


def test_folder_and_manifest_data_use_the_index(tmp_path):
    make_files(tmp_path / "c", 6)
    FolderData(root=str(tmp_path / "c"), valid_fraction=0.0, test_fraction=0.0, **SIZES).split("train")
    assert (tmp_path / "c" / SUFFIX).is_file()
    os.remove(next((tmp_path / "c").rglob("*.flac")))
    data = FolderData(root=str(tmp_path / "c"), valid_fraction=0.0, test_fraction=0.0, **SIZES)
    assert len(data.split("train")) == 5
    (tmp_path / "list.csv").write_text("path,speaker\n" + "".join(f"c/spk0/f{i:04d}.flac,s\n" for i in (3, 6)))
    ManifestData(train=str(tmp_path / "list.csv"), **SIZES).split("train")
    assert (tmp_path / f".list.csv{SUFFIX}").is_file()
    cache = tmp_path / "cache"
    ManifestData(train=str(tmp_path / "list.csv"), index_dir=str(cache), **SIZES).split("train")
    assert [p.name for p in cache.iterdir() if p.suffix == ".jsonl"] == [
        index_path(tmp_path / "list.csv", cache)[0].name
    ]


def test_unreadable_index_is_rebuilt(tmp_path, caplog):
    paths = make_files(tmp_path / "c", 3)
    index = AudioIndex(tmp_path / "c")
    index.update(paths)
    index.file.write_text('{"codeclab_index": 1}\n{"path": "x.wav", "size"')  # a torn write
    assert AudioIndex(tmp_path / "c").update(paths) == index.update(paths)
    assert "unreadable" in caplog.text


def run_cli(root: Path, go: Path) -> subprocess.Popen:
    code = (
        "import sys, time, pathlib\n"
        f"while not pathlib.Path({str(go)!r}).exists(): time.sleep(0.005)\n"
        "from src.data.index import main\n"
        f"main([{str(root)!r}, '--full', '--workers', '1'])\n"
    )
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    return subprocess.Popen(
        [sys.executable, "-c", code], cwd=ROOT, env=env, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )


def test_two_processes_building_at_once_give_one_index(tmp_path):
    paths = make_files(tmp_path / "c", 200, seconds=0.5)
    go = tmp_path / "go"
    procs = [run_cli(tmp_path / "c", go) for _ in range(2)]
    time.sleep(3.0)  # both have imported and wait on `go`: they start scanning together
    go.touch()
    outs = [p.communicate(timeout=300) for p in procs]
    assert all(p.returncode == 0 for p in procs), [err[-2000:] for _, err in outs]
    scanned = sorted(int(out.split(" scanned")[0].rsplit(" ", 1)[1]) for out, _ in outs)
    assert scanned == [0, 200], outs  # the lock: one builder scanned, the other read its index
    index = AudioIndex(tmp_path / "c")
    built = index.update(paths, full=set(paths))
    assert index.scanned == [] and len(built) == 200
    assert all(isinstance(r, AudioInfo) and r.frames == 8000 for r in built.values())


def test_parallel_scan_equals_serial_scan(tmp_path, monkeypatch):
    import src.data.index as index_module

    monkeypatch.setattr(index_module, "PARALLEL_MIN", 10)  # use the pool for 40 files
    monkeypatch.setattr(index_module, "CHUNK", 7)
    paths = make_files(tmp_path / "c", 40)
    result = AudioIndex(tmp_path / "c", cache_dir=tmp_path / "pool", workers=2).update(paths)
    assert result == AudioIndex(tmp_path / "c", cache_dir=tmp_path / "serial", workers=1).update(paths)
