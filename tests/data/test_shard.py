import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch

from src.data.datasets import FolderData, ManifestData
from src.data.shard import MEMBERS, main
from src.data.webdataset import WebDatasetData
from tests.data.conftest import tone

SIZES = {"sample_rate": 16000, "channels": 1, "segment_seconds": 0.5, "batch_size": 2}


def make_corpus(root: Path) -> Path:
    files = {
        "train/a/stereo44.wav": (44100, 2, 1.5),
        "train/a/mono22.flac": (22050, 1, 1.25),
        "train/b/ok16.wav": (16000, 1, 2.0),
        "train/b/long.flac": (16000, 1, 3.0),
        "train/b/x48.flac": (48000, 1, 1.0),
        "valid/a/v.wav": (16000, 1, 1.0),
        "valid/b/w.flac": (24000, 2, 0.8),
        "test/c/t.wav": (16000, 1, 1.1),
    }
    for k, (name, (rate, ch, sec)) in enumerate(files.items()):
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        sf.write(root / name, np.stack([tone(150 + 60 * k + 5 * c, sec, rate) for c in range(ch)], 1), rate)
    (root / "train/b/broken.wav").write_bytes(b"RIFF junk" * 9)  # header unusable: left out
    nan = tone(300, 1.2, 16000)
    nan[::400] = np.nan
    sf.write(root / "train/b/nan.wav", nan, 16000, subtype="FLOAT")  # kept: found when read
    return root


def test_shards_round_trip_with_the_folder_dataset(tmp_path):
    root = make_corpus(tmp_path / "c")
    main([str(root), str(tmp_path / "shards"), "--items", "2"])
    assert sorted(p.name for p in (tmp_path / "shards").glob("*.tar")) == [
        "test-000000.tar",
        "train-000000.tar",
        "train-000001.tar",
        "train-000002.tar",
        "valid-000000.tar",
    ]
    (tmp_path / "shards" / f"train-000001.tar{MEMBERS}").unlink()  # a listing lost: the tar is scanned
    folder, shards = FolderData(root=str(root), **SIZES), WebDatasetData(shards=str(tmp_path / "shards"), **SIZES)
    for split in ("train", "valid", "test"):
        a, b = folder.split(split), shards.split(split)
        assert [(e.item, e.speaker) for e, _ in a.records] == [(e.item, e.speaker) for e, _ in b.records]
        assert [i for _, i in a.records] == [i for _, i in b.records]
        for epoch in (0, 1) if split == "train" else (0,):
            if split == "train":
                a.set_epoch(epoch), b.set_epoch(epoch)
            for i in range(len(a)):
                x, y = a[i], b[i]
                assert x["item"] == y["item"] and torch.equal(x["wav"], y["wav"]), (split, i)
    assert len(folder.split("train")) == 6  # broken.wav left out at start, nan.wav found when read
    assert [Path(p).name for p in folder.skipped] == ["broken.wav"]
    train = shards.split("train")
    nan = [e.item for e, _ in train.records].index("train/b/nan.wav")
    assert train[nan]["skipped"][0][0] == train.records[nan][0].path
    assert train[nan]["skipped"][0][0].endswith(":train/b/nan.wav")  # named by shard, offset and item


def test_shards_from_a_manifest_and_clear_errors(tmp_path):
    root = make_corpus(tmp_path / "c")
    (tmp_path / "train.jsonl").write_text(
        "".join(json.dumps({"path": f"c/train/{p}", "speaker": "s"}) + "\n" for p in ("a/mono22.flac", "b/ok16.wav"))
    )
    main([str(tmp_path / "train.jsonl"), str(tmp_path / "m")])
    data = WebDatasetData(shards=str(tmp_path / "m" / "{split}-*.tar"), **SIZES)
    ref = ManifestData(train=str(tmp_path / "train.jsonl"), **SIZES).split("train")
    ds = data.split("train")
    assert [ds[i]["item"] for i in range(2)] == ["c/train/a/mono22.flac", "c/train/b/ok16.wav"]
    assert all(torch.equal(ds[i]["wav"], ref[i]["wav"]) for i in range(2))
    assert root.is_dir()
    with pytest.raises(FileNotFoundError, match="no shard matches"):
        data.split("valid")
    with pytest.raises(ValueError, match="data.shards is not set"):
        WebDatasetData(shards="???", **SIZES)
