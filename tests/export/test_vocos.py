"""codeclab preset=vocos -> the Vocos layout: the official module loads it strictly and gives our waveform;
converting it back gives the same weights (the `vocos` package, installed --no-deps)."""

from __future__ import annotations

import pytest
import torch

from src.build import build_codec
from src.compose import compose_train_config
from tests.convert.official import perturb, require

require("vocos")
pytest.importorskip("librosa", reason="librosa builds the test's torchaudio mel filterbank")

SMALL = ["decoder.dim=64", "decoder.intermediate_dim=192", "decoder.num_layers=2"]


def test_vocos_export_loads_in_official(official_imports, tmp_path):
    from src.convert.vocos import convert
    from src.export.vocos import export

    cfg = compose_train_config(["preset=vocos", *SMALL])
    codec = perturb(build_codec(cfg)).eval()
    export(codec, cfg, tmp_path / "out")
    vocos = official_imports("vocos.pretrained").Vocos.from_hparams(str(tmp_path / "out" / "config.yaml"))
    vocos.load_state_dict(torch.load(tmp_path / "out" / "pytorch_model.bin", weights_only=True), strict=True)
    wav = 0.3 * torch.randn(2, 1, 30 * 256)
    with torch.no_grad():
        feats = vocos.eval().feature_extractor(wav[:, 0])  # (B, 100, F + 1): torchaudio keeps the last frame
        assert (codec.encode(wav) - feats[..., :-1]).abs().max() < 1e-4
        diff = (vocos.decode(feats) - codec.decode(feats)[:, 0]).abs().max()
    assert diff < 1e-5, diff
    back = convert(tmp_path / "out")
    assert back.overrides[-3:] == ["head.n_fft=1024", "head.hop_length=256", "head.padding=same"]
    assert set(back.codec_state) == set(codec.state_dict())
    assert all(torch.equal(back.codec_state[k], v) for k, v in codec.state_dict().items())


def test_vocos_export_refuses_other_codecs(tmp_path):
    from src.export.vocos import export

    cfg = compose_train_config(["preset=tiny"])
    with pytest.raises(ValueError, match="encoder._target_.*preset=vocos"):
        export(build_codec(cfg), cfg, tmp_path / "out")
