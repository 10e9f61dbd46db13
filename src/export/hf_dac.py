"""codeclab dac_* runs -> a transformers `DacModel` save_pretrained directory (DAC, Kumar et al. 2023)."""

from __future__ import annotations

import math
from pathlib import Path

from omegaconf import DictConfig

from src.codec import Codec
from src.convert.common import fold_weight_norm
from src.convert.hf_dac import hf_to_codeclab_key
from src.export.common import codec_state, to_target
from src.export.dac import dac_kwargs


def hf_config(kwargs: dict):
    """Official DAC kwargs -> transformers DacConfig."""
    from transformers import DacConfig

    return DacConfig(
        encoder_hidden_size=kwargs["encoder_dim"],
        downsampling_ratios=kwargs["encoder_rates"],
        decoder_hidden_size=kwargs["decoder_dim"],
        upsampling_ratios=kwargs["decoder_rates"],
        n_codebooks=kwargs["n_codebooks"],
        codebook_size=kwargs["codebook_size"],
        codebook_dim=kwargs["codebook_dim"],
        hidden_size=kwargs["latent_dim"],
        sampling_rate=kwargs["sample_rate"],
        quantizer_dropout=kwargs["quantizer_dropout"],
        hop_length=math.prod(kwargs["encoder_rates"]),
    )


def export(codec: Codec, cfg: DictConfig, out: Path) -> None:
    """Write out/ (config.json + model.safetensors): `DacModel.from_pretrained(out)` rebuilds the codec."""
    from transformers import DacModel

    kwargs = dac_kwargs(cfg)
    model = DacModel(hf_config(kwargs))
    n = len(kwargs["decoder_rates"])
    state = to_target(
        fold_weight_norm(codec_state(codec)), model.state_dict(), lambda k: hf_to_codeclab_key(k, n), "hf_dac export"
    )
    model.load_state_dict(state, strict=True)
    model.save_pretrained(out)
