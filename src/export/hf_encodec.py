"""codeclab encodec_24khz runs -> a transformers `EncodecModel` save_pretrained directory (Défossez et al. 2022)."""

from __future__ import annotations

from pathlib import Path

from omegaconf import DictConfig

from src.codec import Codec
from src.convert.common import rename, rename_weight_norm
from src.convert.encodec import key_rules
from src.convert.hf_encodec import CONFIG_24KHZ, hf_to_official_key
from src.export.common import codec_state, require, to_target
from src.export.encodec import ARCH, warn_padding


def hf_to_codeclab_key(key: str) -> str:
    official = hf_to_official_key(key)
    return rename_weight_norm(next(iter(rename({official: None}, key_rules()))))


def export(codec: Codec, cfg: DictConfig, out: Path) -> None:
    """Write out/ (config.json + model.safetensors): `EncodecModel.from_pretrained(out)` rebuilds the codec."""
    from transformers import EncodecConfig, EncodecModel

    require(cfg, ARCH, "hf_encodec")
    warn_padding(cfg)
    model = EncodecModel(EncodecConfig(**CONFIG_24KHZ, target_bandwidths=[1.5, 3.0, 6.0, 12.0, 24.0]))
    state = codec_state(codec)
    for key in [k for k in state if k.endswith(".codebook.initted")]:
        state[key] = state[key].reshape(1).float()  # transformers keeps `inited` as a float (1,) buffer
    model.load_state_dict(to_target(state, model.state_dict(), hf_to_codeclab_key, "hf_encodec export"), strict=True)
    model.save_pretrained(out)
