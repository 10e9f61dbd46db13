"""A corrupt newest checkpoint is named and skipped: resume falls back to the previous complete one
(sizes and SHA-256 in complete.json; old manifests without them still resume), and a truncated exported
codec.safetensors gives an error naming the file."""

import json
import logging

import pytest

from src.build import build_trainer, load_codec
from src.training.checkpoint import MANIFEST, CorruptCheckpoint, list_checkpoints, read_checkpoint
from tests.training.helpers import TOY_TARGETS, toy_config

RUN = ("trainer.max_steps=4", "trainer.checkpoint_every=2", "trainer.keep_last=1")


def _truncate(path):
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 3])


@pytest.fixture
def two_checkpoints(tmp_path):
    build_trainer(toy_config(tmp_path, *RUN, "trainer.keep_last=2")).fit()
    assert [p.name for p in list_checkpoints(tmp_path)] == ["step_00000002", "step_00000004"]
    return tmp_path


def test_manifest_records_size_and_sha256(two_checkpoints):
    newest = list_checkpoints(two_checkpoints)[-1]
    files = json.loads((newest / MANIFEST).read_text())["files"]
    assert set(files) == {p.name for p in newest.iterdir() if p.name != MANIFEST}
    for name, entry in files.items():
        assert entry["size"] == (newest / name).stat().st_size and len(entry["sha256"]) == 64


@pytest.mark.parametrize("bad_file", ["codec.safetensors", "optim.pt"])
def test_truncated_newest_falls_back_to_previous_and_names_the_file(two_checkpoints, bad_file, caplog):
    newest = list_checkpoints(two_checkpoints)[-1]
    _truncate(newest / bad_file)
    with pytest.raises(CorruptCheckpoint, match=bad_file):
        read_checkpoint(newest, rank=0)
    with caplog.at_level(logging.WARNING):
        tr = build_trainer(toy_config(two_checkpoints, *RUN, "trainer.max_steps=5"))
        summary = tr.fit()
    assert summary["resumed_from"].endswith("step_00000002") and summary["step"] == 5
    assert str(newest / bad_file) in caplog.text
    # the bad checkpoint is kept aside for inspection, not deleted, and no longer counts as complete
    assert (newest.parent / f"corrupt-{newest.name}" / bad_file).exists()
    assert [p.name for p in list_checkpoints(two_checkpoints)] == ["step_00000005"]


def test_old_manifest_without_hashes_still_resumes(two_checkpoints):
    newest = list_checkpoints(two_checkpoints)[-1]
    files = sorted(p.name for p in newest.iterdir() if p.name != MANIFEST)
    (newest / MANIFEST).write_text(json.dumps({"step": 4, "files": files}))  # the format before hashes
    summary = build_trainer(toy_config(two_checkpoints, *RUN, "trainer.max_steps=5")).fit()
    assert summary["resumed_from"].endswith("step_00000004")


def test_old_manifest_and_truncated_file_falls_back(two_checkpoints, caplog):
    newest = list_checkpoints(two_checkpoints)[-1]
    files = sorted(p.name for p in newest.iterdir() if p.name != MANIFEST)
    (newest / MANIFEST).write_text(json.dumps({"step": 4, "files": files}))
    _truncate(newest / "codec.safetensors")
    with caplog.at_level(logging.WARNING):
        summary = build_trainer(toy_config(two_checkpoints, *RUN, "trainer.max_steps=5")).fit()
    assert summary["resumed_from"].endswith("step_00000002")
    assert str(newest / "codec.safetensors") in caplog.text


def test_no_readable_checkpoint_is_an_error_not_a_fresh_start(two_checkpoints):
    for ckpt in list_checkpoints(two_checkpoints):
        _truncate(ckpt / "codec.safetensors")
    with pytest.raises(CorruptCheckpoint, match="codec.safetensors"):
        build_trainer(toy_config(two_checkpoints, *RUN, "trainer.max_steps=5")).fit()


def test_truncated_exported_codec_names_the_file(two_checkpoints):
    weights = two_checkpoints / "codec.safetensors"
    _truncate(weights)
    with pytest.raises(ValueError, match=str(weights)):
        load_codec(two_checkpoints, trusted_targets=TOY_TARGETS)  # toy components: outside the allowlist
