"""codeclab preset=vocos runs -> the Vocos (Siuzdak 2023) layout: config.yaml + pytorch_model.bin."""

from __future__ import annotations

from pathlib import Path

import torch
import yaml
from omegaconf import DictConfig

from src.convert.vocos import BACKBONE, HEAD, MEL
from src.export._shared2 import require_targets, require_values
from src.nn.spectral import mel_filterbank

TARGETS = {
    "encoder": "src.encoder.mel.MelEncoder",
    "quantizer": "src.quantizer.identity.Identity",
    "decoder": "src.decoder.vocos.VocosDecoder",
    "head": "src.head.istft.ISTFTHead",
}


def vocos_config(cfg: DictConfig) -> dict:
    """The run's config -> Vocos' config.yaml (class_path / init_args, as `Vocos.from_hparams` reads it)."""
    enc, dec, head = cfg.encoder, cfg.decoder, cfg.head
    mel = {
        "sample_rate": int(cfg.sample_rate),
        "n_fft": int(enc.n_fft),
        "hop_length": int(enc.hop_length),
        "n_mels": int(enc.n_mels),
        "padding": str(enc.padding),
    }
    backbone = {
        "input_channels": int(enc.n_mels),
        "dim": int(dec.dim),
        "intermediate_dim": int(dec.intermediate_dim),
        "num_layers": int(dec.num_layers),
    }
    fourier = {
        "dim": int(dec.dim),
        "n_fft": int(head.n_fft),
        "hop_length": int(head.hop_length),
        "padding": str(head.padding),
    }
    return {
        "feature_extractor": {"class_path": MEL, "init_args": mel},
        "backbone": {"class_path": BACKBONE, "init_args": backbone},
        "head": {"class_path": HEAD, "init_args": fourier},
    }


def export(codec, cfg: DictConfig, out: Path) -> None:
    """Write out/config.yaml and out/pytorch_model.bin (a plain state dict) for `Vocos.from_hparams` +
    `load_state_dict`. The mel filterbank and windows are the fixed buffers torchaudio would hold."""
    require_targets(cfg, TARGETS, "vocos")
    require_values(
        cfg,
        {
            "channels": 1,
            "decoder.adanorm_num_embeddings": None,
            "decoder.pos_net": False,
            "encoder.f_min": 0.0,
            "encoder.log_floor": 1e-7,
            "head.max_magnitude": 100.0,
        },
        "vocos",
    )
    if cfg.encoder.f_max not in (None, cfg.sample_rate / 2):
        raise ValueError("export format=vocos: encoder.f_max must be null (sample_rate / 2), as in torchaudio")
    config = vocos_config(cfg)
    enc = codec.encoder
    state = {
        "feature_extractor.mel_spec.spectrogram.window": torch.hann_window(enc.n_fft),
        "feature_extractor.mel_spec.mel_scale.fb": mel_filterbank(
            enc.sample_rate, enc.n_fft, enc.n_mels, 0.0, enc.sample_rate / 2
        ).T.contiguous(),
        "head.istft.window": torch.hann_window(codec.head.n_fft),
    }
    for key, value in codec.state_dict().items():
        if key.startswith("decoder."):
            state["backbone." + key[len("decoder.") :]] = value.detach().cpu().clone()
        elif key.startswith("head.proj.out."):
            state["head.out." + key[len("head.proj.out.") :]] = value.detach().cpu().clone()
        else:
            raise ValueError(f"export format=vocos: {key} has no place in a Vocos checkpoint")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    torch.save(state, out / "pytorch_model.bin")
