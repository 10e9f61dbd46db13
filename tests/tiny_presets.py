"""Every preset family at tiny widths (same structure as the preset, a few thousand times fewer weights)."""

from __future__ import annotations

import torch

from src.build import build_codec
from src.compose import compose_train_config

# preset -> the overrides that shrink it (widths and codebook counts only; strides, norms, causality kept)
TINY_FAMILIES = {
    "tiny": [],
    "demo": [],
    "demo_waveform": [],
    "dac_16khz": ["encoder.d_model=4", "latent_dim=64", "decoder.channels=32", "quantizer.n_codebooks=2"],
    "encodec_24khz": ["encoder.n_filters=4", "decoder.n_filters=4", "latent_dim=16", "quantizer.n_codebooks=2"],
    "bigcodec": ["encoder.ngf=4", "decoder.channels=64", "latent_dim=32"],
    "oobleck": ["encoder.base_channels=4", "decoder.base_channels=4", "latent_dim=8"],
    "vocos": ["decoder.dim=32", "decoder.intermediate_dim=64"],
    "wavtokenizer_40hz": ["encoder.n_filters=4", "latent_dim=32", "decoder.dim=32", "decoder.intermediate_dim=64"],
}


def tiny_codec(name: str, *extra: str, seed: int = 0):
    """The preset's codec at tiny widths, in eval mode, with its codebooks fitted to one random batch."""
    torch.manual_seed(seed)
    codec = build_codec(compose_train_config([f"preset={name}", *TINY_FAMILIES[name], *extra]))
    codec.train()
    with torch.no_grad():  # one training-mode forward: k-means/EMA codebooks initialise on real latents
        codec(torch.randn(2, codec.channels, 4 * codec.hop_length) * 0.1)
    return codec.eval()
