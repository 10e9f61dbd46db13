import logging
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch
from hydra.utils import instantiate
from torch.utils.data import DataLoader

from src.compose import compose_train_config
from src.data.mix import MixData
from tests.data.conftest import tone

WEIGHTS = {"speech": 0.5, "music": 0.25, "general": 0.25}
SIZES = {"sample_rate": 16000, "channels": 1, "segment_seconds": 0.25, "batch_size": 4}


def make_sources(root: Path) -> dict:
    """Three by-folder sources with different rates and channel counts, 2-4 train files each."""
    layout = {"speech": (4, 16000, 1), "music": (3, 44100, 2), "general": (2, 22050, 1)}
    for name, (n, rate, ch) in layout.items():
        for split, count in (("train", n), ("valid", 1)):
            (root / name / split).mkdir(parents=True)
            for i in range(count):
                x = np.stack([tone(200 + 50 * i, 1.0, rate)] * ch, axis=1)
                sf.write(root / name / split / f"{name}{i}.wav", x, rate)
    return {name: {"weight": WEIGHTS[name], "kind": "folder", "root": str(root / name)} for name in layout}


def test_mix_frequencies_match_weights(tmp_path):
    data = MixData(make_sources(tmp_path), epoch_items=20000, **SIZES)
    mix = data.split("train")
    for epoch in (0, 1):
        mix.set_epoch(epoch)
        counts = Counter(mix.pick(i)[0] for i in range(len(mix)))
        # 20,000 draws: the binomial sd of a frequency is <= 0.0036, so 0.02 is > 5 sd
        for name, weight in WEIGHTS.items():
            assert abs(counts[name] / len(mix) - weight) < 0.02, (epoch, counts)
    mix.set_epoch(0)
    first = [mix.pick(i) for i in range(50)]
    mix.set_epoch(1)
    assert first != [mix.pick(i) for i in range(50)]  # a new draw each epoch


def test_mix_items_come_from_their_source_and_counts_are_logged(tmp_path, caplog):
    sources = make_sources(tmp_path)
    data = MixData(sources, epoch_items=24, **SIZES)
    ds = data.split("train")
    ds.set_epoch(3)
    with caplog.at_level(logging.INFO, logger="codeclab.data"):
        batches = list(data.watch(DataLoader(ds, batch_size=4, collate_fn=data.collate)))
    assert all(b["wav"].shape == (4, 1, 4000) for b in batches)
    for b in batches:
        assert all(item.startswith(f"train/{src}") for item, src in zip(b["item"], b["source"]))
    assert sum(data.counts.values()) == 24 and set(data.counts) <= set(WEIGHTS)
    assert any(r.getMessage().startswith("mix: epoch served speech") for r in caplog.records)
    again = MixData(sources, epoch_items=24, **SIZES).split("train")  # a new process: same mix
    again.set_epoch(3)
    assert all(torch.equal(again[i]["wav"], ds[i]["wav"]) for i in range(0, 24, 5))
    valid = data.split("valid")
    assert sorted(valid[i]["item"] for i in range(len(valid))) == [
        "general/valid/general0.wav",
        "music/valid/music0.wav",
        "speech/valid/speech0.wav",
    ]


def test_mix_from_the_command_line(tmp_path):
    root = tmp_path
    make_sources(root)
    spec = ", ".join(f"{n}: {{weight: {w}, kind: folder, root: {root / n}}}" for n, w in WEIGHTS.items())
    cfg = compose_train_config(["data=mix", f"data.sources={{{spec}}}", "data.segment_frames=10"])
    data = instantiate(cfg.data, _convert_="all")
    assert data.weights == WEIGHTS and data.segment == 3200
    assert data.split("train")[0]["wav"].shape == (1, 3200)
    with pytest.raises(ValueError, match=r"data.sources.x.kind='nope'"):
        MixData({"x": {"weight": 1, "kind": "nope"}}, **SIZES)
