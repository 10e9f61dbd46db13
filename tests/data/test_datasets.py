import json
import logging

import numpy as np
import pytest
import soundfile as sf
import torch
from hydra.utils import instantiate
from omegaconf import OmegaConf
from omegaconf.errors import MissingMandatoryValue
from torch.utils.data import DataLoader

from src.data.audio import read_audio
from src.data.datasets import EmptyDatasetError, FolderData, ManifestData, collate, crop_seed
from tests.data.conftest import BAD, GOOD, tone

SIZES = {"sample_rate": 16000, "channels": 1, "segment_seconds": 1.0, "batch_size": 2, "num_workers": 0}


def folder(root, **kw) -> FolderData:
    return FolderData(root=str(root), valid_fraction=0.0, test_fraction=0.0, **{**SIZES, **kw})


def read_epoch(data, epoch: int = 0) -> list[dict]:
    """One epoch of the train split through a real DataLoader and `data.watch` (as the trainer reads)."""
    ds = data.split("train")
    ds.set_epoch(epoch)
    loader = DataLoader(ds, batch_size=1, shuffle=False, collate_fn=data.collate)
    return list(data.watch(loader))


def test_bad_files_skipped_and_each_named_once(audio_folder, caplog):
    data = folder(audio_folder)
    with caplog.at_level(logging.INFO, logger="codeclab.data"):
        train = data.split("train")
        data.split("train")  # cached: no second scan, no second log line
        folder(audio_folder).split("train")  # a new object reads the index, but names no file again
        batches = read_epoch(data) + read_epoch(data, 1)  # nan.wav is found when read, named once
    # header faults are skipped at start; the NaN file passes its header and is replaced when read
    assert len(train) == len(GOOD) + 1 and all(b["wav"].shape == (1, 1, 16000) for b in batches)
    assert {b["item"][0] for b in batches} <= set(GOOD)
    assert {p.split("corpus/")[1] for p in data.skipped} == set(BAD)
    assert "too short for a 1 s crop" in data.skipped[str(audio_folder / "bad/short.wav")]
    assert "NaN/Inf" in data.skipped[str(audio_folder / "bad/nan.wav")]
    assert data.replaced == {"non-finite": 2}  # once per epoch
    skip_lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith("skipping")]
    for name in BAD:
        assert sum(name in line for line in skip_lines) == 1, (name, skip_lines)
    summary = [r.getMessage() for r in caplog.records if "files kept" in r.getMessage()]
    assert summary and "4 files kept, 3 skipped" in summary[0] and "unreadable: 1" in summary[0]


def test_kept_files_are_downmixed_and_resampled(audio_folder):
    data = folder(audio_folder, channels=1, segment_seconds=1.0)
    valid = FolderData(root=str(audio_folder / "good"), valid_fraction=0.999, test_fraction=0.0, **SIZES)
    for item in (data.split("train")[i] for i in range(3)):
        assert item["wav"].shape == (1, 16000) and item["wav"].dtype == torch.float32
    utts = valid.split("valid")
    whole = {utts[i]["item"]: tuple(utts[i]["wav"].shape) for i in range(len(utts))}
    assert whole == {"stereo44.wav": (1, 24000), "mono22.flac": (1, 20000), "ok16.wav": (1, 32000)}


def test_eval_split_keeps_short_files_and_stereo_output(audio_folder):
    data = folder(audio_folder, channels=2)
    ds = data.split("train")
    assert all(ds[i]["wav"].shape == (2, 16000) for i in range(len(ds)))
    # whole utterances are not held to the crop length: the 0.4 s file is fine for evaluation
    evald = FolderData(root=str(audio_folder / "bad"), valid_fraction=0.0, test_fraction=0.999, **SIZES)
    test = evald.split("test")
    assert [test[i]["wav"].shape for i in range(len(test))] == [(1, 6400)]


def test_empty_dataset_is_a_clear_error(audio_folder, tmp_path):
    (audio_folder / "bad/nan.wav").unlink()  # its header is fine: it would be found only when read
    with pytest.raises(EmptyDatasetError, match=r"bad.*all 3 files were skipped.*unreadable: 1"):
        folder(audio_folder / "bad").split("train")
    (tmp_path / "nothing").mkdir()
    with pytest.raises(EmptyDatasetError, match="no audio files found"):
        folder(tmp_path / "nothing").split("train")
    with pytest.raises(FileNotFoundError, match="data.root"):
        folder(tmp_path / "absent")
    with pytest.raises(KeyError, match="unknown data split 'eval'"):
        folder(audio_folder).split("eval")


def test_subfolder_splits_and_speakers(tmp_path):
    for split, spk in [("train", "p225"), ("train", "p226"), ("valid", "p225"), ("test", "p300")]:
        (tmp_path / split / spk).mkdir(parents=True, exist_ok=True)
        sf.write(tmp_path / split / spk / "a.wav", tone(300, 1.2, 16000), 16000)
    data = FolderData(root=str(tmp_path), **SIZES)
    assert sorted(data.split("train")[i]["speaker"] for i in range(2)) == ["p225", "p226"]
    assert data.split("test")[0]["item"] == "test/p300/a.wav"


def test_hash_split_is_disjoint_and_stable(tmp_path):
    for i in range(60):
        sf.write(tmp_path / f"f{i:02d}.wav", np.zeros(1600, np.float32), 16000)
    splits = {}
    for name in ("train", "valid", "test"):
        data = FolderData(
            root=str(tmp_path), valid_fraction=0.2, test_fraction=0.2, **{**SIZES, "segment_seconds": 0.05}
        )
        splits[name] = {data.split(name)[i]["item"] for i in range(len(data.split(name)))}
    assert sum(map(len, splits.values())) == 60
    assert not (splits["train"] & splits["valid"] or splits["train"] & splits["test"])
    assert all(len(s) >= 3 for s in splits.values())


def test_manifests_csv_and_jsonl(audio_folder, tmp_path):
    lists = tmp_path / "lists"
    lists.mkdir()
    rel = "../corpus/good"
    (lists / "train.csv").write_text(
        f"path,speaker\n{rel}/ok16.wav,alice\n{rel}/mono22.flac,bob\n{rel}/gone.wav,carol\n"
    )
    (lists / "valid.jsonl").write_text(
        json.dumps({"path": f"{rel}/stereo44.wav"})
        + "\n\n"
        + json.dumps({"path": str(audio_folder / "good/ok16.wav"), "speaker": "alice"})
        + "\n"
    )
    data = ManifestData(train=str(lists / "train.csv"), valid=str(lists / "valid.jsonl"), **SIZES)
    train = data.split("train")
    assert sorted((train[i]["item"], train[i]["speaker"]) for i in range(len(train))) == [
        (f"{rel}/mono22.flac", "bob"),
        (f"{rel}/ok16.wav", "alice"),
    ]
    assert list(data.skipped.values()) == ["file not found"]
    valid = data.split("valid")
    assert [valid[i]["speaker"] for i in range(2)] == ["", "alice"]
    with pytest.raises(ValueError, match="data.test is not set"):
        data.split("test")
    (lists / "broken.csv").write_text("file,speaker\nx.wav,a\n")
    with pytest.raises(ValueError, match="no `path` column"):
        ManifestData(train=str(lists / "broken.csv"), **SIZES).split("train")


def test_crops_deterministic_per_seed_epoch_index(audio_folder):
    def crops(epoch, seed=0):
        ds = folder(audio_folder / "good", seed=seed, segment_seconds=0.25).split("train")
        ds.set_epoch(epoch)
        return [ds[i]["wav"] for i in range(len(ds))]

    first, again = crops(0), crops(0)
    assert all(torch.equal(a, b) for a, b in zip(first, again))
    assert any(not torch.equal(a, b) for a, b in zip(first, crops(1)))
    assert any(not torch.equal(a, b) for a, b in zip(first, crops(0, seed=1)))
    assert len({crop_seed(0, e, i) for e in range(5) for i in range(5)}) == 25


def test_crop_equals_span_of_whole_resampled_file(audio_folder):
    ds = folder(audio_folder / "good", segment_seconds=0.5).split("train")
    for epoch in range(3):
        ds.set_epoch(epoch)
        for i in range(len(ds)):
            start = ds.crop_start(i)
            whole = read_audio(ds.records[i][0].path, 16000, 1)
            assert torch.allclose(ds[i]["wav"], whole[:, start : start + 8000], atol=1e-4)


def test_collate_pads_and_reports_lengths():
    items = [{"wav": torch.ones(2, n), "item": f"u{n}", "speaker": "s"} for n in (5, 9, 7)]
    batch = collate(items)
    assert batch["wav"].shape == (3, 2, 9)
    assert batch["lengths"].tolist() == [5, 9, 7] and batch["lengths"].dtype == torch.long
    assert batch["wav"][0, :, 5:].abs().sum() == 0 and batch["wav"][0, :, :5].sum() == 10
    assert batch["item"] == ["u5", "u9", "u7"] and batch["speaker"] == ["s"] * 3


@pytest.mark.parametrize("option", ["folder", "manifest"])
def test_configs_instantiate_and_require_their_paths(repo_root, audio_folder, option):
    node = OmegaConf.load(repo_root / f"conf/data/{option}.yaml")
    cfg = OmegaConf.create({"sample_rate": 24000, "channels": 1, "seed": 3, "data": node})
    with pytest.raises(MissingMandatoryValue, match="root" if option == "folder" else "train"):
        instantiate(cfg.data)
    key = "root" if option == "folder" else "train"
    cfg.data[key] = str(audio_folder)
    if option == "manifest":
        cfg.data[key] = str(audio_folder / "list.jsonl")
        (audio_folder / "list.jsonl").write_text(json.dumps({"path": "good/ok16.wav"}) + "\n")
    data = instantiate(cfg.data)
    assert (data.sample_rate, data.channels, data.seed) == (24000, 1, 3)
    assert data.split("train")[0]["wav"].shape == (1, 24000)


@pytest.mark.parametrize("encoder, hop", [("seanet", 320), ("dac", 512), ("mel", 256)])
def test_segment_frames_crop_is_frames_times_the_encoder_hop(audio_folder, encoder, hop):
    from src.compose import compose_train_config

    extra = ["encoder.strides=[2,4,8,8]"] if encoder == "dac" else []  # DAC 44 kHz: hop 512
    cfg = compose_train_config(
        [
            "data=folder",
            f"data.root={audio_folder / 'good'}",
            f"encoder={encoder}",
            "data.segment_frames=20",
            "data.batch_size=2",
            *extra,
        ]
    )
    data = instantiate(cfg.data, _convert_="all")
    assert data.hop_length == hop and data.segment == 20 * hop
    assert data.segment_seconds == pytest.approx(20 * hop / 16000)  # what the trainer logs per step
    ds = data.split("train")
    assert all(ds[i]["wav"].shape == (1, 20 * hop) for i in range(len(ds)))
    with pytest.raises(ValueError, match="data.segment_frames=0"):
        folder(audio_folder, segment_frames=0, hop_length=hop)


def test_num_workers_auto_is_zero_without_a_gpu(audio_folder):
    from src.data.datasets import loader_workers

    assert folder(audio_folder, num_workers="auto").num_workers == (
        0 if not torch.cuda.is_available() else loader_workers("auto")
    )
    assert 1 <= loader_workers("auto") <= 8 or not torch.cuda.is_available()
    assert folder(audio_folder, num_workers=3).num_workers == 3
    with pytest.raises(ValueError, match="data.num_workers=-1"):
        folder(audio_folder, num_workers=-1)


def test_a_hash_split_that_leaves_valid_empty_says_so(tmp_path):
    """3 files and valid_fraction=0.05: the hash split gives valid nothing. The error must say which split
    is empty and how to fix it, not "no audio files found"."""
    from src.data.sources import hash_split

    names = [n for n in (f"f{i}.wav" for i in range(20)) if hash_split(n, 0.05, 0.05) != "valid"][:3]
    for name in names:
        sf.write(tmp_path / name, tone(300, 1.2, 16000), 16000)
    data = FolderData(root=str(tmp_path), valid_fraction=0.05, test_fraction=0.05, **SIZES)
    with pytest.raises(EmptyDatasetError) as err:
        data.split("valid")
    message = str(err.value)
    assert "'valid'" in message and "none of the 3 audio files" in message
    assert "data.valid_fraction" in message and "valid/" in message and "no audio files found" not in message
