"""codeclab dac_16khz run -> `python -m src.export format=dac|hf_dac` -> the official module gives the same
codes and audio."""

from __future__ import annotations

import pytest
import torch

from src.build import load_codec
from src.export.__main__ import main as export_main
from tests.convert.conftest import assert_same, demo_clip, random_audio
from tests.export.helpers import make_run

RELEASED = ["decoder.exact_odd_strides=false"]  # the official decoder's length, so the whole output compares


@pytest.fixture(scope="module")
def dac_run(tmp_path_factory):
    return make_run("dac_16khz", RELEASED, tmp_path_factory.mktemp("dac") / "run")


@torch.no_grad()
def test_dac_export_loads_in_official_dac(dac_pkg, dac_run, tmp_path):
    export_main(["format=dac", f"run_dir={dac_run}", f"out={tmp_path / 'weights.pth'}"])
    data = torch.load(tmp_path / "weights.pth", weights_only=True)
    model = dac_pkg.DAC(**data["metadata"]["kwargs"]).eval()
    model.load_state_dict(data["state_dict"], strict=True)
    codec = load_codec(dac_run)
    for wav in (random_audio(16000), demo_clip(16000)):
        out = model(wav, 16000)
        codes = codec.encode(wav)
        assert_same(codes, out["codes"], codec.decode(codes, length=wav.shape[-1]), out["audio"])


@pytest.mark.slow
@torch.no_grad()
def test_hf_dac_export_loads_in_transformers(transformers_pkg, dac_run, tmp_path):
    export_main(["format=hf_dac", f"run_dir={dac_run}", f"out={tmp_path / 'hf'}"])
    model = transformers_pkg.DacModel.from_pretrained(tmp_path / "hf").eval()
    codec = load_codec(dac_run)
    wav = codec.pad_to_hop(demo_clip(16000))
    ref = model(wav)
    codes = codec.encode(wav)
    assert_same(codes, ref.audio_codes, codec.decode(codes, length=wav.shape[-1]), ref.audio_values)


def test_export_refuses_another_architecture(tmp_path):
    run = make_run("encodec_24khz", [], tmp_path / "run")
    with pytest.raises(SystemExit, match=r"format=dac cannot represent this run: encoder._target_="):
        export_main(["format=dac", f"run_dir={run}", f"out={tmp_path / 'weights.pth'}"])
    with pytest.raises(SystemExit, match="already exists"):
        export_main(["format=dac", f"run_dir={run}", f"out={run}"])
