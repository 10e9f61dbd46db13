"""codeclab encodec_24khz run -> `python -m src.export format=encodec|hf_encodec` -> the official module gives
the same codes and audio."""

from __future__ import annotations

import pytest
import torch

from src.build import load_codec
from src.convert.encodec import OVERRIDES
from src.export.__main__ import main as export_main
from tests.convert.conftest import assert_same, demo_clip, random_audio
from tests.export.helpers import make_run


@pytest.fixture(scope="module")
def encodec_run(tmp_path_factory):
    # the released padding, so that the official module's output compares sample for sample
    return make_run("encodec_24khz", OVERRIDES, tmp_path_factory.mktemp("encodec") / "run")


@torch.no_grad()
def test_encodec_export_loads_in_official_encodec(encodec_pkg, encodec_run, tmp_path):
    export_main(["format=encodec", f"run_dir={encodec_run}", f"out={tmp_path / 'encodec.th'}"])
    model = encodec_pkg.EncodecModel.encodec_model_24khz(pretrained=False).eval()
    model.load_state_dict(torch.load(tmp_path / "encodec.th", weights_only=True), strict=True)
    codec = load_codec(encodec_run)
    for wav in (random_audio(24000), demo_clip(24000)):
        frames = model.encode(wav)
        codes = codec.encode(wav)
        ref = model.decode(frames)[..., : wav.shape[-1]]
        assert_same(codes, frames[0][0], codec.decode(codes, length=wav.shape[-1]), ref)


@torch.no_grad()
def test_hf_encodec_export_loads_in_transformers(transformers_pkg, encodec_run, tmp_path):
    export_main(["format=hf_encodec", f"run_dir={encodec_run}", f"out={tmp_path / 'hf'}"])
    model = transformers_pkg.EncodecModel.from_pretrained(tmp_path / "hf").eval()
    codec = load_codec(encodec_run)
    wav = demo_clip(24000)
    ref = model(wav, bandwidth=24.0)
    codes = codec.encode(wav)
    assert_same(codes, ref.audio_codes[0], codec.decode(codes, length=wav.shape[-1]), ref.audio_values)
