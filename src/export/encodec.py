"""codeclab encodec_24khz runs -> a state dict for the `encodec` package's EncodecModel (Défossez et al. 2022)."""

from __future__ import annotations

from pathlib import Path

import torch
from omegaconf import DictConfig

from src.codec import Codec
from src.convert.common import rename, rename_weight_norm
from src.convert.encodec import key_rules
from src.export.common import codec_state, require, warn

SEANET = {
    "n_filters": 32,
    "ratios": [8, 5, 4, 2],
    "n_residual_layers": 1,
    "activation": "elu",
    "norm": "weight_norm",
    "kernel_size": 7,
    "residual_kernel_size": 3,
    "dilation_base": 2,
    "causal": True,
    "true_skip": False,
    "compress": 2,
    "lstm": 2,
}
ARCH = {
    "encoder._target_": "src.encoder.seanet.SEANetEncoder",
    "decoder._target_": "src.decoder.seanet.SEANetDecoder",
    "quantizer._target_": "src.quantizer.rvq.ResidualVQ",
    "head._target_": "src.head.waveform.WaveformHead",
    "channels": 1,
    "sample_rate": 24000,
    "latent_dim": 128,
    "encoder.last_kernel_size": 7,
    "decoder.trim_right_ratio": 1.0,
    "head.activation": "elu",
    "head.tanh": False,
    "head.kernel_size": 7,
    "quantizer.n_codebooks": 32,
    "quantizer.codebook_size": 1024,
    "quantizer.codebook_dim": 128,
    "quantizer.rvq_dim": 128,
    **{f"{part}.{k}": v for part in ("encoder", "decoder") for k, v in SEANET.items()},
}


def official_state(codec: Codec) -> dict:
    """codeclab names -> the `encodec` package's (weight_g / weight_v; `inited` as a float (1,) buffer)."""
    renamed = rename(codec_state(codec), key_rules(to_codeclab=False))
    out = {rename_weight_norm(k, to_parametrizations=False): v for k, v in renamed.items()}
    for key in [k for k in out if k.endswith("._codebook.inited")]:
        out[key] = out[key].reshape(1).float()
    return out


def warn_padding(cfg: DictConfig) -> None:
    pads = {k: cfg[k].get("pad_mode") for k in ("encoder", "decoder", "head")}
    if any(p != "reflect_encodec" for p in pads.values()):
        warn(
            f"pad_mode {pads}: the official EnCodec pads its causal convs by reflection, so its output "
            "differs from this run's in the first samples of each layer (weights are exact)"
        )


def export(codec: Codec, cfg: DictConfig, out: Path) -> None:
    """Write out (a .th file): `EncodecModel.encodec_model_24khz(pretrained=False).load_state_dict(
    torch.load(out))` rebuilds the run's codec."""
    require(cfg, ARCH, "encodec")
    warn_padding(cfg)
    out.parent.mkdir(parents=True, exist_ok=True)
    torch.save(official_state(codec), out)
