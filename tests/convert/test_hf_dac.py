"""transformers DacModel at random init -> save_pretrained -> src.convert source=hf_dac -> same codes, audio."""

from __future__ import annotations

import json

import pytest
import torch

from src.build import load_codec
from src.convert.__main__ import main as convert_main
from src.convert.hf_dac import convert
from tests.convert.conftest import assert_same, demo_clip, random_audio


def hf_dac16(transformers_pkg, out):
    config = transformers_pkg.DacConfig(
        downsampling_ratios=[2, 4, 5, 8],
        upsampling_ratios=[8, 5, 4, 2],
        n_codebooks=12,
        sampling_rate=16000,
        hop_length=320,
    )
    torch.manual_seed(16)
    model = transformers_pkg.DacModel(config).eval()
    model.save_pretrained(out)
    return model


def test_hf_dac16_every_key_has_its_place(transformers_pkg, tmp_path):
    """The default suite's check (the numeric comparison below is slow): all names and shapes pair up."""
    model = hf_dac16(transformers_pkg, tmp_path / "hf")
    converted = convert(tmp_path / "hf")  # raises KeyMismatchError on any leftover / missing key
    assert converted.preset == "dac_16khz" and converted.overrides == ["decoder.exact_odd_strides=false"]
    hf_conv = model.state_dict()["decoder.block.1.conv_t1.weight"]  # the stride-5 transposed conv
    g = converted.codec_state["decoder.block.2.1.parametrizations.weight.original0"]
    v = converted.codec_state["decoder.block.2.1.parametrizations.weight.original1"]
    torch.testing.assert_close(torch._weight_norm(v, g, 0), hf_conv, rtol=0, atol=1e-6)


@pytest.mark.slow
@torch.no_grad()
def test_hf_dac16_codes_and_waveform_match(transformers_pkg, tmp_path):
    model = hf_dac16(transformers_pkg, tmp_path / "hf")
    convert_main(["source=hf_dac", f"checkpoint={tmp_path / 'hf'}", f"out={tmp_path / 'run'}"])
    codec = load_codec(tmp_path / "run")
    gains = sum(p.numel() for n, p in codec.named_parameters() if n.endswith("original0"))
    # transformers keeps plain conv weights: the same network less the weight-norm gains
    assert sum(p.numel() for p in codec.parameters()) - gains == sum(p.numel() for p in model.parameters())
    for wav in (random_audio(16000), demo_clip(16000)):
        padded = codec.pad_to_hop(wav)  # transformers' DacFeatureExtractor pads to the hop; the model does not
        ref = model(padded)
        codes = codec.encode(wav)
        assert_same(codes, ref.audio_codes, codec.decode(codes, length=padded.shape[-1]), ref.audio_values)


def test_hf_dac_unknown_config_is_refused(tmp_path):
    (tmp_path / "config.json").write_text(
        json.dumps(
            {
                "model_type": "dac",
                "encoder_hidden_size": 64,
                "downsampling_ratios": [2, 4, 8, 8],
                "decoder_hidden_size": 1024,
                "upsampling_ratios": [8, 8, 4, 2],
                "n_codebooks": 9,
                "codebook_size": 1024,
                "codebook_dim": 8,
                "sampling_rate": 44100,
                "hidden_size": 1024,
            }
        )
    )
    with pytest.raises(ValueError, match="match no codeclab preset"):
        convert(tmp_path)
