"""Official EnCodec 24 kHz (the `encodec` package) at random init -> state dict -> src.convert -> same codes
and audio."""

from __future__ import annotations

import pytest
import torch

from src.build import load_codec
from src.convert.__main__ import main as convert_main
from src.convert.common import KeyMismatchError
from src.convert.encodec import convert
from tests.convert.conftest import assert_same, demo_clip, random_audio


def trained_like(quantizer_layers, codebook=lambda layer: layer._codebook) -> None:
    """At init EnCodec's codebooks are zeros awaiting k-means; give them distinct codes, as trained."""
    for layer in quantizer_layers:
        cb = codebook(layer)
        cb.embed.copy_(torch.randn_like(cb.embed))
        cb.embed_avg.copy_(cb.embed)
        cb.cluster_size.fill_(1.0)
        cb.inited.fill_(1.0)


@pytest.fixture(scope="module")
def encodec24(encodec_pkg, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("encodec24")
    torch.manual_seed(24)
    model = encodec_pkg.EncodecModel.encodec_model_24khz(pretrained=False).eval()
    trained_like(model.quantizer.vq.layers)
    torch.save(model.state_dict(), tmp / "encodec_24khz.th")
    convert_main(["source=encodec", f"checkpoint={tmp / 'encodec_24khz.th'}", f"out={tmp / 'run'}"])
    return model, tmp


@torch.no_grad()
def test_encodec_codes_and_waveform_match_official(encodec24):
    model, tmp = encodec24
    codec = load_codec(tmp / "run")
    assert sum(p.numel() for p in codec.parameters()) == sum(p.numel() for p in model.parameters())
    for wav in (random_audio(24000), demo_clip(24000)):
        frames = model.encode(wav)
        ref_codes = frames[0][0]
        ref_wav = model.decode(frames)[..., : wav.shape[-1]]  # EncodecModel.forward's crop
        codes = codec.encode(wav)
        assert_same(codes, ref_codes, codec.decode(codes, length=wav.shape[-1]), ref_wav)


def test_encodec_key_mismatch_lists_keys(encodec24, tmp_path):
    _, tmp = encodec24
    state = torch.load(tmp / "encodec_24khz.th", weights_only=True)
    state.pop("decoder.model.1.lstm.bias_hh_l1")
    state["quantizer.vq.layers.40._codebook.embed"] = torch.zeros(2, 2)
    torch.save(state, tmp_path / "bad.th")
    with pytest.raises(
        KeyMismatchError,
        match=r"(?s)leftover.*quantizer\.layers\.40\.codebook\.embed.*"
        r"missing.*decoder\.model\.1\.lstm\.bias_hh_l1",
    ):
        convert(tmp_path / "bad.th")


def test_encodec_other_layouts_are_refused(tmp_path):
    torch.save({"encoder.model.0.conv.conv.weight_v": torch.zeros(32, 2, 7)}, tmp_path / "stereo.th")
    with pytest.raises(ValueError, match="not the EnCodec 24 kHz layout"):
        convert(tmp_path / "stereo.th")
