"""Vocos (mel) checkpoint -> codeclab: the official module at random init, saved as the Hugging Face repo
is laid out, converted, and compared sample for sample (the `vocos` package, installed --no-deps)."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
import yaml

from src.build import build_codec
from src.compose import compose_train_config
from tests.convert.official import demo_clip, perturb, require

require("vocos")
pytest.importorskip("librosa", reason="librosa builds the test's torchaudio mel filterbank")

# charactr/vocos-mel-24khz's config.yaml (the published mel Vocos)
VOCOS_CONFIG = {
    "feature_extractor": {
        "class_path": "vocos.feature_extractors.MelSpectrogramFeatures",
        "init_args": {"sample_rate": 24000, "n_fft": 1024, "hop_length": 256, "n_mels": 100, "padding": "center"},
    },
    "backbone": {
        "class_path": "vocos.models.VocosBackbone",
        "init_args": {"input_channels": 100, "dim": 512, "intermediate_dim": 1536, "num_layers": 8},
    },
    "head": {
        "class_path": "vocos.heads.ISTFTHead",
        "init_args": {"dim": 512, "n_fft": 1024, "hop_length": 256, "padding": "same"},
    },
}


def official_vocos(official_imports, folder: Path, config: dict = VOCOS_CONFIG):
    """Build the official Vocos from config.yaml at random init (perturbed), save config + weights."""
    pretrained = official_imports("vocos.pretrained")
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.yaml").write_text(yaml.safe_dump(config))
    model = perturb(pretrained.Vocos.from_hparams(str(folder / "config.yaml"))).eval()
    torch.save(model.state_dict(), folder / "pytorch_model.bin")
    return model


def build_converted(converted):
    cfg = compose_train_config([f"preset={converted.preset}", *converted.overrides])
    codec = build_codec(cfg).eval()
    codec.load_state_dict(converted.codec_state, strict=True)
    return codec


def test_vocos_matches_official(official_imports, tmp_path):
    from src.convert.vocos import convert

    official = official_vocos(official_imports, tmp_path / "vocos")
    converted = convert(tmp_path / "vocos")
    codec = build_converted(converted)
    n_params = sum(p.numel() for p in codec.parameters())
    assert n_params == sum(p.numel() for p in official.parameters()) == 13_531_650
    gen = torch.Generator().manual_seed(1)
    for wav in (0.3 * torch.randn(2, 1, 40 * 256, generator=gen), demo_clip(24000, 1)):
        wav = wav[..., : wav.shape[-1] // 256 * 256]  # both pad a ragged end differently; see the docs
        with torch.no_grad():
            ref = official(wav[:, 0])  # (B, (F + 1) * hop)
            ours = codec.decode(codec.encode(wav))[:, 0]  # (B, (F + 1) * hop) with encoder.last_frame
            feats = official.feature_extractor(wav[:, 0])
        assert ours.shape == ref.shape
        assert (codec.encode(wav) - feats).abs().max() < 1e-4  # log-mel, float32 STFT rounding
        print(f"vocos {tuple(wav.shape)}: max |wav diff| {(ours - ref).abs().max():.2e}")
        assert (ours - ref).abs().max() < 1e-5, (ours - ref).abs().max()


def test_vocos_refuses_bad_checkpoints(official_imports, tmp_path):
    from src.convert.vocos import convert

    official_vocos(official_imports, tmp_path / "v")
    state = torch.load(tmp_path / "v" / "pytorch_model.bin", weights_only=True)
    state["backbone.extra.weight"] = torch.zeros(3)
    del state["backbone.final_layer_norm.bias"]
    torch.save(state, tmp_path / "v" / "pytorch_model.bin")
    with pytest.raises(ValueError, match="missing.*decoder.final_layer_norm.bias.*left over.*decoder.extra.weight"):
        convert(tmp_path / "v")
    encodec_config = dict(
        VOCOS_CONFIG, feature_extractor={"class_path": "vocos.feature_extractors.EncodecFeatures", "init_args": {}}
    )
    (tmp_path / "v" / "config.yaml").write_text(yaml.safe_dump(encodec_config))
    with pytest.raises(ValueError, match="config.yaml.*mel Vocos"):
        convert(tmp_path / "v")
