"""Shared fixture: a tiny folder corpus of real speech (three eSpeak NG test utterances of the demo
recipe, 16 kHz), laid out for `data=folder` with a test split."""

from pathlib import Path

import pytest

from src.data import demo
from src.data.espeak import synthesize_many

N_CLIPS = 3


@pytest.fixture(scope="session")
def speech_root(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("speech")
    plan = [p for p in demo.corpus_plan() if p["split"] == "test"][:N_CLIPS]
    jobs = []
    for p in plan:
        path = root / "test" / p["speaker"] / f"{p['id']}.wav"
        path.parent.mkdir(parents=True, exist_ok=True)
        jobs.append(demo.synthesis_job(p, path))
    (root / "train").mkdir()  # FolderData uses root/{train,valid,test} when root/train exists
    synthesize_many(jobs, workers=1)
    return root


@pytest.fixture(scope="session")
def speech_files(speech_root) -> list[Path]:
    return sorted((speech_root / "test").rglob("*.wav"))
