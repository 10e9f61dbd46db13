"""Training files found bad when read: skipped, named once, replaced deterministically; resume is bitwise."""

from pathlib import Path

import numpy as np
import soundfile as sf
import torch
from hydra import compose, initialize_config_dir
from torch.utils.data import DataLoader

from src.build import build_trainer
from src.data.audio import read_audio
from src.data.crops import CropDataset
from src.data.datasets import FolderData
from tests.data.conftest import tone
from tests.training.helpers import ROOT, TOY_OVERRIDES, assert_same_state

SIZES = {"sample_rate": 8000, "channels": 1, "segment_seconds": 0.5, "batch_size": 2}


def corrupt_flac(path: Path, seconds: float = 1.0) -> None:
    """A FLAC whose header is intact (the index keeps it) and whose audio frames are noise bytes."""
    sf.write(path, tone(500, seconds, 16000), 16000)
    data = bytearray(path.read_bytes())
    first_frame = data.find(b"\xff\xf8")  # FLAC frame sync: metadata ends here
    data[first_frame + 2 :] = (
        np.random.default_rng(0).integers(0, 256, len(data) - first_frame - 2, dtype=np.uint8).tobytes()
    )
    path.write_bytes(bytes(data))


def make_corpus(root: Path) -> Path:
    for split, n in (("train", 6), ("valid", 2)):
        (root / split).mkdir(parents=True)
        for i in range(n):
            sf.write(root / split / f"good{i}.wav", tone(150 + 40 * i, 1.0 + 0.1 * i, 16000), 16000)
    corrupt_flac(root / "train/corrupt.flac")
    nan = tone(300, 1.2, 16000)
    nan[::500] = np.nan  # in every crop
    sf.write(root / "train/nan.wav", nan, 16000, subtype="FLOAT")
    return root


def epoch_batches(data, epoch: int, workers: int = 0) -> list[dict]:
    ds = data.split("train")
    ds.set_epoch(epoch)
    loader = DataLoader(ds, batch_size=2, shuffle=False, collate_fn=data.collate, num_workers=workers)
    return list(data.watch(loader))


def test_bad_files_found_when_read_are_named_and_replaced(tmp_path):
    root = make_corpus(tmp_path / "c")
    data = FolderData(root=str(root), **SIZES)
    assert len(data.split("train")) == 8  # headers are fine: both bad files pass the index
    runs = [epoch_batches(data, e) for e in range(3)]
    for batches in runs:  # no crop lost: every batch full, every crop whole, from a good file
        assert len(batches) == 4 and all(b["wav"].shape == (2, 1, 4000) for b in batches)
        assert all(item.startswith("train/good") for b in batches for item in b["item"])
        assert all(torch.isfinite(b["wav"]).all() for b in batches)
    assert set(data.skipped) == {str(root / "train/corrupt.flac"), str(root / "train/nan.wav")}
    assert data.skipped[str(root / "train/corrupt.flac")].startswith("unreadable")
    assert "NaN/Inf" in data.skipped[str(root / "train/nan.wav")]
    assert sum(data.replaced.values()) >= 6  # each bad item is replaced in each of the 3 epochs
    # a new process (new object) and a worker layout draw the very same crops and replacements
    other = FolderData(root=str(root), **SIZES)
    again = epoch_batches(other, 1, workers=2)
    assert [b["item"] for b in again] == [b["item"] for b in runs[1]]
    assert all(torch.equal(a["wav"], b["wav"]) for a, b in zip(again, runs[1]))
    assert set(other.skipped) == set(data.skipped)  # the news came back from the worker processes


def test_replacement_crop_is_a_true_span_of_its_file(tmp_path):
    root = make_corpus(tmp_path / "c")
    ds = FolderData(root=str(root), **SIZES).split("train")
    bad = [i for i, (e, _) in enumerate(ds.records) if not e.item.startswith("train/good")]
    assert len(bad) == 2
    for i in bad:
        item = ds[i]
        assert item["skipped"] and item["skipped"][0][0] == ds.records[i][0].path
        attempt = len(item["skipped"])  # every failed attempt is listed; this one succeeded
        j = ds.replacement(i, attempt)
        assert ds.records[j][0].item == item["item"]
        whole = read_audio(ds.records[j][0].path, 8000, 1)
        start = ds.crop_start(i, attempt, j)
        assert torch.allclose(item["wav"], whole[:, start : start + 4000], atol=1e-4)


def test_truncated_flac_is_found_when_read(tmp_path):
    path = tmp_path / "t/cut.flac"
    path.parent.mkdir()
    sf.write(path, tone(300, 2.0, 16000), 16000)
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 3])  # header still says 2 s
    sf.write(tmp_path / "t/ok.wav", tone(200, 2.0, 16000), 16000)
    data = FolderData(
        root=str(tmp_path / "t"), valid_fraction=0.0, test_fraction=0.0, **{**SIZES, "segment_seconds": 0.25}
    )
    assert isinstance(data.split("train"), CropDataset) and len(data.split("train")) == 2
    batches = [b for epoch in range(6) for b in epoch_batches(data, epoch)]
    assert all(b["wav"].shape == (2, 1, 2000) and b["item"] for b in batches)
    assert list(data.skipped) == [str(path)]  # crops past the cut fail (early ones may not)


def corpus_config(root: Path, run_dir: Path, *overrides: str):
    base = [o for o in TOY_OVERRIDES if not o.startswith("data=")]
    with initialize_config_dir(config_dir=str(ROOT / "conf"), version_base="1.3"):
        return compose(
            "train",
            overrides=[
                *base,
                "data=folder",
                f"data.root={root}",
                "data.batch_size=2",
                "data.segment_seconds=0.5",
                f"run_dir={run_dir}",
                *overrides,
            ],
        )


def test_resume_is_bitwise_with_bad_files_replaced(tmp_path):
    root = make_corpus(tmp_path / "c")
    common = ("trainer.checkpoint_every=3", "trainer.warmup_steps=2")  # 4 batches per epoch
    full = build_trainer(corpus_config(root, tmp_path / "full", "trainer.max_steps=7", *common))
    full.fit()
    build_trainer(corpus_config(root, tmp_path / "split", "trainer.max_steps=3", *common)).fit()
    resumed = build_trainer(corpus_config(root, tmp_path / "split", "trainer.max_steps=7", *common))
    resumed.fit()
    assert (resumed.epoch, resumed.step) == (full.epoch, full.step)
    assert_same_state(full.codec_raw.state_dict(), resumed.codec_raw.state_dict())
    assert_same_state(full.discs_raw.state_dict(), resumed.discs_raw.state_dict())
    assert set(full.data.skipped) == {str(root / "train/corrupt.flac"), str(root / "train/nan.wav")}
    assert set(resumed.data.skipped) == set(full.data.skipped)
