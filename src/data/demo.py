"""The embedded demo corpus: English sentences spoken by 12 eSpeak NG voices, synthesized on first use.

No download and no apt step: text comes from templates and word lists in `src/data/sentences.py`,
audio from the espeak-ng library shipped in the `espeakng-loader` wheel (`src/data/espeak.py`).
Splits: train (10 speakers), valid (16 utterances, train speakers, unseen sentences), test
(unseen sentences; half by 2 speakers never heard in training). Same bytes on every run.
"""

from __future__ import annotations

import argparse
import fcntl
import hashlib
import json
import os
import shutil
from collections import Counter
from importlib.metadata import version
from pathlib import Path

from src.data.datasets import AudioData
from src.data.espeak import synthesize_many
from src.data.sentences import make_sentences
from src.data.sources import SPLITS, Entry, read_manifest

VERSION = 1  # bump when the corpus recipe changes: stale caches are rebuilt
CORPUS_RATE = 16000  # stored rate; resampled on read to the model's sample_rate
STAMP = "stamp.json"
REPO_ROOT = Path(__file__).resolve().parents[2]

# (speaker id, espeak voice+variant, pitch 0-100, pitch range 0-100, words per minute).
# Language accents, variants (formant sets, klatt source models) and prosody all differ.
SPEAKERS = [
    ("spk01", "en+m1", 38, 45, 165),
    ("spk02", "en-us+f2", 62, 60, 175),
    ("spk03", "en-gb-scotland+m3", 45, 55, 158),
    ("spk04", "en-us+f4", 72, 70, 185),
    ("spk05", "en+klatt2", 35, 40, 170),
    ("spk06", "en-029+f1", 58, 65, 155),
    ("spk07", "en-gb-x-rp+m7", 50, 50, 180),
    ("spk08", "en-us+croak", 30, 35, 150),
    ("spk09", "en+f5", 66, 75, 190),
    ("spk10", "en-gb-x-gbclan+m4", 48, 60, 168),
    ("spk11", "en-us-nyc+f3", 64, 55, 170),  # test only
    ("spk12", "en+klatt4", 42, 50, 162),  # test only
]
TEST_SPEAKERS = ("spk11", "spk12")
N_TRAIN, N_VALID, N_TEST = 320, 16, 40  # utterances; ~1.5-4 s each, ~20 min of audio
SENTENCE_SEED = 2024


def corpus_plan() -> list[dict]:
    """Every utterance: id, split, speaker, voice settings and text. Each sentence is used once, so
    valid/test sentences never occur in train; half the test is by the unseen TEST_SPEAKERS."""
    seen = [s for s in SPEAKERS if s[0] not in TEST_SPEAKERS]
    unseen = [s for s in SPEAKERS if s[0] in TEST_SPEAKERS]
    texts = make_sentences(N_TRAIN + N_VALID + N_TEST, SENTENCE_SEED)
    plan = []
    for i, text in enumerate(texts):
        if i < N_TRAIN:
            split, spk = "train", seen[i % len(seen)]
        elif i < N_TRAIN + N_VALID:
            split, spk = "valid", seen[i % len(seen)]
        else:
            j = i - N_TRAIN - N_VALID
            split = "test"
            spk = unseen[(j // 2) % 2] if j % 2 == 0 else seen[(j // 2) % len(seen)]
        sid, voice, pitch, rng, rate = spk
        plan.append(
            {
                "id": f"{sid}_{i:04d}",
                "split": split,
                "speaker": sid,
                "voice": voice,
                "pitch": pitch,
                "range": rng,
                "rate": rate,
                "text": text,
            }
        )
    return plan


def default_root() -> Path:
    """$CODECLAB_DATA/demo if set, else <repo>/data_cache/demo."""
    base = os.environ.get("CODECLAB_DATA")
    return Path(base).expanduser() / "demo" if base else REPO_ROOT / "data_cache" / "demo"


def _spec_hash(plan: list[dict]) -> str:
    spec = {"version": VERSION, "rate": CORPUS_RATE, "plan": plan, "espeak": version("espeakng-loader")}
    return hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()[:16]


def is_complete(root: Path, plan: list[dict] | None = None) -> bool:
    """True when `root` holds a finished build of the current recipe (stamp written last)."""
    try:
        stamp = json.loads((root / STAMP).read_text())
    except (OSError, ValueError):
        return False
    plan = corpus_plan() if plan is None else plan
    return stamp.get("spec") == _spec_hash(plan) and all(
        (root / "wav" / p["speaker"] / f"{p['id']}.wav").is_file() for p in plan
    )


def build_corpus(root: str | Path | None = None, force: bool = False, workers: int = 1) -> Path:
    """Synthesize the corpus into `root` unless a complete build is there. Builds in a temp dir
    next to it and renames, under a lock, so concurrent ranks and killed runs never see half."""
    root = Path(root).expanduser().resolve() if root else default_root().resolve()
    plan = corpus_plan()
    if not force and is_complete(root, plan):
        return root
    _check_replaceable(root)
    root.parent.mkdir(parents=True, exist_ok=True)
    with open(root.parent / f".{root.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another process may be building the same corpus
        if not force and is_complete(root, plan):
            return root
        tmp = root.parent / f".{root.name}.tmp-{os.getpid()}"
        shutil.rmtree(tmp, ignore_errors=True)
        _synthesize(tmp, plan, workers)
        if root.exists():
            shutil.rmtree(root)
        os.replace(tmp, root)
    return root


def _check_replaceable(root: Path) -> None:
    """A rebuild replaces `root`: only an empty folder or an older demo corpus (it holds the stamp) may go.
    data.root comes from a config, and a run's config.yaml may come from someone else (docs/security.md)."""
    if root.exists() and (not root.is_dir() or (any(root.iterdir()) and not (root / STAMP).exists())):
        raise FileExistsError(
            f"data.root={root} exists and is not a demo corpus (no {STAMP}): the demo corpus is built there by "
            "replacing the folder, so it is refused; choose an empty or new folder for data.root"
        )


def synthesis_job(utterance: dict, path: Path) -> dict:
    """A `corpus_plan` entry -> the job `synthesize_many` turns into a WAV file at `path`."""
    keys = ("text", "voice", "pitch", "range", "rate")
    return {**{k: utterance[k] for k in keys}, "sample_rate": CORPUS_RATE, "path": str(path)}


def _synthesize(tmp: Path, plan: list[dict], workers: int) -> None:
    jobs = []
    for p in plan:
        path = tmp / "wav" / p["speaker"] / f"{p['id']}.wav"
        path.parent.mkdir(parents=True, exist_ok=True)
        jobs.append(synthesis_job(p, path))
    synthesize_many(jobs, workers=workers)
    rows = [
        {"path": f"wav/{p['speaker']}/{p['id']}.wav", "speaker": p["speaker"], "text": p["text"], "split": p["split"]}
        for p in plan
    ]
    for name in ("manifest",) + SPLITS:
        chosen = [r for r in rows if name == "manifest" or r["split"] == name]
        (tmp / f"{name}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in chosen))
    stamp = {"version": VERSION, "spec": _spec_hash(plan), "utterances": len(plan)}
    (tmp / STAMP).write_text(json.dumps(stamp, indent=1))  # written last: marks the build complete


class DemoData(AudioData):
    """The demo corpus as a dataset config (conf/data/demo.yaml); built lazily on first split()."""

    def __init__(self, root: str | None = None, synth_workers: int = 1, **kwargs) -> None:
        super().__init__(**kwargs)
        self.root = Path(root).expanduser().resolve() if root else default_root().resolve()
        self.synth_workers = int(synth_workers)

    def describe(self, name: str) -> str:
        return f"the demo corpus at {self.root}/{name}.jsonl"

    def entries(self, name: str) -> list[Entry]:
        build_corpus(self.root, workers=self.synth_workers)
        return read_manifest(self.root / f"{name}.jsonl")

    def index_anchor(self, name: str) -> Path:
        return self.root / f"{name}.jsonl"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Build the demo corpus and print its counts.")
    parser.add_argument("--root", default=None, help="cache folder (default: data_cache/demo)")
    parser.add_argument("--force", action="store_true", help="rebuild even if complete")
    parser.add_argument("--workers", type=int, default=1, help="parallel synthesis processes")
    args = parser.parse_args(argv)
    root = build_corpus(args.root, force=args.force, workers=args.workers)
    rows = [json.loads(line) for line in (root / "manifest.jsonl").read_text().splitlines()]
    print(f"demo corpus at {root}: {len(rows)} utterances")
    for name in SPLITS:
        counts = Counter(r["speaker"] for r in rows if r["split"] == name)
        per = ", ".join(f"{s}:{n}" for s, n in sorted(counts.items()))
        print(f"  {name:5s} {sum(counts.values()):4d} utterances, {len(counts):2d} speakers ({per})")


if __name__ == "__main__":
    main()
