"""Vocos mel vocoder (Siuzdak 2023) checkpoints -> codeclab preset=vocos (config.yaml + pytorch_model.bin)."""

from __future__ import annotations

from pathlib import Path

import torch
from torch import Tensor

from src.convert import ConvertedCheckpoint
from src.convert._shared2 import (
    check_against,
    find_file,
    find_weights,
    load_weights,
    read_yaml,
    remap,
)
from src.convert.common import expected_state
from src.nn.spectral import mel_filterbank

MEL = "vocos.feature_extractors.MelSpectrogramFeatures"
BACKBONE = "vocos.models.VocosBackbone"
HEAD = "vocos.heads.ISTFTHead"
FB_TOLERANCE = 1e-5  # torchaudio's float32 filterbank vs ours (computed in float64): ~1e-7 apart


def _part(config: dict, key: str, cls: str, path: Path) -> dict:
    node = config.get(key) or {}
    if node.get("class_path") != cls:
        raise ValueError(
            f"{path}: {key}.class_path is {node.get('class_path')!r}; codeclab converts the mel Vocos only ({cls})"
        )
    return node.get("init_args") or {}


def vocos_overrides(config: dict, path: Path) -> list[str]:
    """Vocos' config.yaml (class_path/init_args) -> overrides of preset=vocos."""
    mel = _part(config, "feature_extractor", MEL, path)
    bb = _part(config, "backbone", BACKBONE, path)
    head = _part(config, "head", HEAD, path)
    if bb.get("adanorm_num_embeddings"):
        raise ValueError(
            f"{path}: backbone.adanorm_num_embeddings is set (an EnCodec-feature Vocos); only the mel Vocos converts"
        )
    n_mels = mel.get("n_mels", 100)
    if bb.get("input_channels", n_mels) != n_mels or head.get("dim") != bb.get("dim"):
        raise ValueError(f"{path}: backbone.input_channels must equal n_mels and head.dim backbone.dim")
    padding = mel.get("padding", "center")
    return [
        f"sample_rate={mel.get('sample_rate', 24000)}",
        "channels=1",
        f"latent_dim={n_mels}",
        f"encoder.n_fft={mel.get('n_fft', 1024)}",
        f"encoder.hop_length={mel.get('hop_length', 256)}",
        f"encoder.padding={padding}",
        f"encoder.last_frame={str(padding == 'center').lower()}",
        f"decoder.dim={bb['dim']}",
        f"decoder.intermediate_dim={bb['intermediate_dim']}",
        f"decoder.num_layers={bb['num_layers']}",
        f"head.n_fft={head['n_fft']}",
        f"head.hop_length={head['hop_length']}",
        f"head.padding={head.get('padding', 'same')}",
    ]


def _check_buffer(name: str, got: Tensor, want: Tensor, source: str) -> None:
    if got.shape != want.shape or (got.float() - want).abs().max() > FB_TOLERANCE:
        raise ValueError(
            f"{source}: {name} differs from codeclab's (HTK mel, no norm; periodic Hann): this "
            "Vocos was built with another front end, which codeclab does not reproduce"
        )


def vocos_rule(key: str, value: Tensor):
    """Vocos' backbone / head names -> codeclab's (WavTokenizer's decoder reuses it)."""
    if key.startswith("backbone."):
        return "decoder." + key[len("backbone.") :], value
    if key.startswith("head.out."):
        return "head.proj.out." + key[len("head.out.") :], value
    return None


def convert(checkpoint: Path) -> ConvertedCheckpoint:
    """checkpoint: a directory with config.yaml and pytorch_model.bin (the Hugging Face layout of
    charactr/vocos-mel-24khz), or the weights file with config.yaml beside it."""
    checkpoint = Path(checkpoint)
    config_path = find_file(checkpoint, ("config.yaml",), "Vocos config.yaml")
    config = read_yaml(config_path)
    overrides = vocos_overrides(config, config_path)
    weights = find_weights(checkpoint, ("pytorch_model.bin", "model.safetensors"))
    state = load_weights(weights)
    mel = _part(config, "feature_extractor", MEL, config_path)
    n_fft, sr, n_mels = mel.get("n_fft", 1024), mel.get("sample_rate", 24000), mel.get("n_mels", 100)
    head_fft = _part(config, "head", HEAD, config_path)["n_fft"]
    # the fixed buffers are checked against codeclab's, then dropped (codeclab recomputes them)
    fixed = {
        "feature_extractor.mel_spec.spectrogram.window": torch.hann_window(n_fft),
        "feature_extractor.mel_spec.mel_scale.fb": mel_filterbank(sr, n_fft, n_mels, 0.0, sr / 2).T,
        "head.istft.window": torch.hann_window(head_fft),
    }
    for name, want in fixed.items():
        if name not in state:
            raise ValueError(f"{weights}: {name} missing: not a mel Vocos state dict")
        _check_buffer(name, state.pop(name), want, str(weights))
    codec_state = remap(state, vocos_rule, str(weights))
    check_against(codec_state, expected_state("vocos", overrides, meta=True), str(weights))
    return ConvertedCheckpoint(
        "vocos",
        overrides,
        codec_state,
        None,
        {"format": "vocos", "checkpoint": str(checkpoint), "config": str(config_path)},
    )
