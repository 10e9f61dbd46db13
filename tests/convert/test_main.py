"""src.convert.__main__.write_run_dir: the run directory a converter's result becomes."""

from __future__ import annotations

import json

import pytest
import torch
from safetensors.torch import load_file

from src.build import build_codec, build_discriminators, load_codec
from src.compose import compose_train_config
from src.convert import ConvertedCheckpoint
from src.convert.__main__ import DISCRIMINATORS_FILE, SOURCE_FILE, write_run_dir
from src.convert.common import KeyMismatchError


def tiny_checkpoint(**changes) -> ConvertedCheckpoint:
    cfg = compose_train_config(["preset=tiny"])
    codec, discs = build_codec(cfg), build_discriminators(cfg)
    return ConvertedCheckpoint(
        "tiny", [], codec.state_dict(), discs.state_dict(), {"format": "test", "file": "tiny.pth"}, **changes
    )


def test_run_dir_loads_with_the_same_weights_and_discriminators(tmp_path):
    converted = tiny_checkpoint()
    out = write_run_dir(converted, tmp_path / "run")
    codec = load_codec(out)
    for key, value in converted.codec_state.items():
        assert torch.equal(codec.state_dict()[key], value), key
    discs = load_file(str(out / DISCRIMINATORS_FILE))
    assert set(discs) == set(converted.discriminator_state)
    record = json.loads((out / SOURCE_FILE).read_text())
    assert record["preset"] == "tiny" and record["parameters"] == sum(p.numel() for p in codec.parameters())
    with pytest.raises(FileExistsError, match="already holds files"):
        write_run_dir(converted, out)


def test_wrong_discriminator_keys_are_listed(tmp_path):
    converted = tiny_checkpoint()
    converted.discriminator_state = {"not.a.key": torch.zeros(1)}
    with pytest.raises(KeyMismatchError, match=r"(?s)1 leftover.*not\.a\.key.*missing"):
        write_run_dir(converted, tmp_path / "run")
    assert not (tmp_path / "run").exists()  # nothing half-written
