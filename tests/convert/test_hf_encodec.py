"""transformers EncodecModel at random init -> save_pretrained -> src.convert source=hf_encodec -> same
codes and audio."""

from __future__ import annotations

import json

import pytest
import torch

from src.build import load_codec
from src.convert.__main__ import main as convert_main
from src.convert.hf_encodec import convert
from tests.convert.conftest import assert_same, demo_clip, random_audio
from tests.convert.test_encodec import trained_like


@torch.no_grad()
def test_hf_encodec_codes_and_waveform_match(transformers_pkg, tmp_path):
    torch.manual_seed(24)
    model = transformers_pkg.EncodecModel(transformers_pkg.EncodecConfig()).eval()
    trained_like(model.quantizer.layers, codebook=lambda layer: layer.codebook)
    model.save_pretrained(tmp_path / "hf")
    convert_main(["source=hf_encodec", f"checkpoint={tmp_path / 'hf'}", f"out={tmp_path / 'run'}"])
    codec = load_codec(tmp_path / "run")
    assert sum(p.numel() for p in codec.parameters()) == sum(p.numel() for p in model.parameters())
    for wav in (random_audio(24000), demo_clip(24000)):
        ref = model(wav, bandwidth=24.0)
        codes = codec.encode(wav)
        assert_same(codes, ref.audio_codes[0], codec.decode(codes, length=wav.shape[-1]), ref.audio_values)


def test_hf_encodec_other_config_names_the_keys(tmp_path):
    (tmp_path / "config.json").write_text(
        json.dumps({"model_type": "encodec", "sampling_rate": 48000, "audio_channels": 2})
    )
    with pytest.raises(ValueError, match=r"sampling_rate=48000 vs 24000.*audio_channels=2 vs 1"):
        convert(tmp_path)
