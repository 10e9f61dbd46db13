import json
from collections import Counter

import numpy as np
import pytest
import soundfile as sf
import torch

from src.data import demo
from src.data.espeak import synthesize, synthesize_many

PLAN = demo.corpus_plan()


def _jobs(plan, folder):
    return [demo.synthesis_job(p, folder / f"{p['id']}.wav") for p in plan]


def test_plan_splits_sentences_and_speakers():
    by_split = {s: [p for p in PLAN if p["split"] == s] for s in ("train", "valid", "test")}
    assert [len(by_split[s]) for s in by_split] == [demo.N_TRAIN, demo.N_VALID, demo.N_TEST]
    texts = {s: {p["text"] for p in ps} for s, ps in by_split.items()}
    assert len({p["text"] for p in PLAN}) == len(PLAN)  # every sentence spoken once
    assert not texts["train"] & texts["test"] and not texts["train"] & texts["valid"]
    train_spk = {p["speaker"] for p in by_split["train"]}
    test_spk = {p["speaker"] for p in by_split["test"]}
    assert len(train_spk | test_spk) >= 10 + 2
    assert test_spk - train_spk == set(demo.TEST_SPEAKERS)
    assert {p["speaker"] for p in by_split["valid"]} <= train_spk
    assert len({(p["voice"], p["pitch"], p["rate"]) for p in PLAN}) == len(demo.SPEAKERS)
    assert PLAN == demo.corpus_plan()  # the recipe itself is deterministic


def test_one_utterance_is_byte_identical_and_order_independent(tmp_path):
    target, other = PLAN[7], PLAN[100]
    settings = {k: target[k] for k in ("pitch", "range", "rate")}
    alone = synthesize(target["text"], target["voice"], demo.CORPUS_RATE, **settings)
    again = synthesize(target["text"], target["voice"], demo.CORPUS_RATE, **settings)
    assert alone == again
    synthesize_many(_jobs([other, target], tmp_path), workers=2)  # after another utterance
    assert (tmp_path / f"{target['id']}.wav").read_bytes() == alone
    info = sf.info(str(tmp_path / f"{target['id']}.wav"))
    assert (info.samplerate, info.channels, info.subtype) == (16000, 1, "PCM_16")
    assert 1.5 <= info.duration <= 4.5


def test_bad_voice_is_reported(tmp_path):
    with pytest.raises(RuntimeError, match="no voice"):
        synthesize("Hello.", "xx-nonexistent+zz")


@pytest.fixture
def tiny_plan(monkeypatch):
    picks = [p for p in PLAN if p["split"] == "train"][:3] + [p for p in PLAN if p["split"] != "train"][:1]
    picks += [p for p in PLAN if p["speaker"] in demo.TEST_SPEAKERS][:1]
    monkeypatch.setattr(demo, "corpus_plan", lambda: picks)
    return picks


def test_build_is_cached_atomic_and_rebuilt_when_incomplete(tmp_path, tiny_plan, capsys):
    root = demo.build_corpus(tmp_path / "demo")
    assert demo.is_complete(root)
    rows = [json.loads(line) for line in (root / "manifest.jsonl").read_text().splitlines()]
    assert [r["text"] for r in rows] == [p["text"] for p in tiny_plan]
    assert set(rows[0]) == {"path", "speaker", "text", "split"}
    assert not list(tmp_path.glob(".demo.tmp-*"))  # the temp build was renamed into place
    stamp_time = (root / demo.STAMP).stat().st_mtime_ns
    first_bytes = (root / rows[0]["path"]).read_bytes()
    assert demo.build_corpus(root) == root and (root / demo.STAMP).stat().st_mtime_ns == stamp_time
    (root / rows[0]["path"]).unlink()  # a damaged cache is detected and rebuilt
    assert not demo.is_complete(root)
    demo.build_corpus(root)
    assert (root / rows[0]["path"]).read_bytes() == first_bytes  # same bytes on every build
    (root / demo.STAMP).write_text("{}")  # a stale / half-written stamp also forces a rebuild
    assert not demo.is_complete(root)
    demo.main(["--root", str(root)])
    assert "train" in capsys.readouterr().out and demo.is_complete(root)


def test_demo_data_splits(tmp_path, tiny_plan, monkeypatch):
    monkeypatch.setenv("CODECLAB_DATA", str(tmp_path))
    data = demo.DemoData(sample_rate=8000, channels=1, segment_seconds=1.0, batch_size=2)
    assert data.root == (tmp_path / "demo").resolve()
    train = data.split("train")
    assert len(train) == 3 and train[0]["wav"].shape == (1, 8000)
    assert train[0]["item"].startswith("wav/") and train[0]["speaker"] == tiny_plan[0]["speaker"]
    test = data.split("test")
    assert {test[i]["speaker"] for i in range(len(test))} & set(demo.TEST_SPEAKERS)
    assert data.skipped == {}


@pytest.mark.slow  # ~15-30 s on a shared CPU: 36 syntheses + GE2E embeddings
def test_speakers_differ_for_a_speaker_encoder(tmp_path):
    """resemblyzer (GE2E d-vectors): utterances of one voice are closer than those of two voices."""
    from resemblyzer import VoiceEncoder, preprocess_wav

    per = {s[0]: [p for p in PLAN if p["speaker"] == s[0]][:3] for s in demo.SPEAKERS}
    plan = [p for ps in per.values() for p in ps]
    synthesize_many(_jobs(plan, tmp_path), workers=2)
    encoder = VoiceEncoder("cpu", verbose=False)
    embs, spk = [], []
    for p in plan:
        wav, rate = sf.read(str(tmp_path / f"{p['id']}.wav"), dtype="float32")
        embs.append(encoder.embed_utterance(preprocess_wav(wav, source_sr=rate)))
        spk.append(p["speaker"])
    e, spk = torch.from_numpy(np.stack(embs)), np.array(spk)
    sim = (e @ e.T).numpy()
    same = spk[:, None] == spk[None, :]
    within = sim[same & ~np.eye(len(spk), dtype=bool)].mean()
    between = sim[~same].mean()
    assert within > between + 0.1, (within, between)
    assert Counter(spk) == {s[0]: 3 for s in demo.SPEAKERS}


def test_demo_config_instantiates_lazily(repo_root, tmp_path, monkeypatch):
    from hydra.utils import instantiate
    from omegaconf import OmegaConf

    monkeypatch.setenv("CODECLAB_DATA", str(tmp_path))
    node = OmegaConf.load(repo_root / "conf/data/demo.yaml")
    cfg = OmegaConf.create({"sample_rate": 24000, "channels": 2, "seed": 5, "data": node})
    data = instantiate(cfg.data)
    assert isinstance(data, demo.DemoData) and node._target_ == "src.data.demo.DemoData"
    assert (data.sample_rate, data.channels, data.seed) == (24000, 2, 5)
    assert not (tmp_path / "demo").exists()  # nothing is synthesized before a split is asked for


def test_build_never_replaces_a_folder_that_is_not_a_demo_corpus(tmp_path):
    """data.root may come from someone else's run config.yaml (docs/security.md): the rebuild replaces the
    folder, so a non-empty folder without the corpus stamp is refused before anything is synthesized."""
    root = tmp_path / "mine"
    root.mkdir()
    (root / "thesis.tex").write_text("years of work")
    with pytest.raises(FileExistsError, match=r"data.root=.*mine.*not a demo corpus"):
        demo.DemoData(root=str(root), sample_rate=8000, channels=1, segment_seconds=1.0, batch_size=2).split("test")
    assert (root / "thesis.tex").read_text() == "years of work"
    assert not list(tmp_path.glob(".mine.tmp-*"))
