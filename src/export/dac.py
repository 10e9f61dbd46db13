"""codeclab dac_* runs -> descript-audio-codec weights.pth (Kumar et al. 2023), loadable by DAC.load."""

from __future__ import annotations

from pathlib import Path

import torch
from omegaconf import DictConfig

from src.codec import Codec
from src.convert.common import rename, rename_weight_norm
from src.convert.dac import key_rules
from src.export.common import codec_state, require, warn

ARCH = {
    "encoder._target_": "src.encoder.dac.DACEncoder",
    "decoder._target_": "src.decoder.dac.DACDecoder",
    "quantizer._target_": "src.quantizer.dac_rvq.DACResidualVQ",
    "head._target_": "src.head.waveform.WaveformHead",
    "channels": 1,
    "encoder.dilations": [1, 3, 9],
    "decoder.dilations": [1, 3, 9],
    "encoder.activation": "snake",
    "decoder.activation": "snake",
    "head.activation": "snake",
    "head.tanh": True,
    "head.kernel_size": 7,
    "head.pad_mode": "constant",
}


def dac_kwargs(cfg: DictConfig) -> dict:
    """The official DAC(**kwargs) the run's config describes (checked against ARCH first)."""
    require(cfg, ARCH, "dac")
    return {
        "encoder_dim": int(cfg.encoder.d_model),
        "encoder_rates": [int(s) for s in cfg.encoder.strides],
        "latent_dim": int(cfg.encoder.latent_dim),
        "decoder_dim": int(cfg.decoder.channels),
        "decoder_rates": [int(s) for s in cfg.decoder.strides],
        "n_codebooks": int(cfg.quantizer.n_codebooks),
        "codebook_size": int(cfg.quantizer.codebook_size),
        "codebook_dim": int(cfg.quantizer.codebook_dim),
        "quantizer_dropout": float(cfg.quantizer.quantizer_dropout),
        "sample_rate": int(cfg.sample_rate),
    }


def official_state(codec: Codec, n_blocks: int) -> dict:
    """codeclab names -> the official DAC generator's (weight_g / weight_v)."""
    renamed = rename(codec_state(codec), key_rules(n_blocks, to_codeclab=False))
    return {rename_weight_norm(k, to_parametrizations=False): v for k, v in renamed.items()}


def export(codec: Codec, cfg: DictConfig, out: Path) -> None:
    """Write out (a .pth file) = {"state_dict", "metadata": {"kwargs"}}: `DAC.load(out)` rebuilds it."""
    kwargs = dac_kwargs(cfg)
    if cfg.decoder.get("exact_odd_strides", True) and any(s % 2 for s in kwargs["decoder_rates"]):
        warn(
            "decoder.exact_odd_strides=true: the official DAC decoder keeps the same weights but drops one "
            "sample per odd stride, so its output is a few samples shorter than this run's"
        )
    out.parent.mkdir(parents=True, exist_ok=True)
    torch.save({"state_dict": official_state(codec, len(kwargs["decoder_rates"])), "metadata": {"kwargs": kwargs}}, out)
