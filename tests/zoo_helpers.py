"""Helpers for the model-zoo tests: compose one group yaml with the top-level keys, count parameters."""

from __future__ import annotations

from pathlib import Path

import torch
from hydra.utils import instantiate
from omegaconf import OmegaConf
from torch import nn

ROOT = Path(__file__).resolve().parents[1]


def root_config(
    sample_rate: int = 16000,
    channels: int = 1,
    latent_dim: int = 128,
    q_in: int | None = None,
    q_out: int | None = None,
    **groups,
) -> OmegaConf:
    """The keys conf/train.yaml provides, plus a stand-in quantizer node for the wiring interpolations."""
    q_in = latent_dim if q_in is None else q_in
    q_out = q_in if q_out is None else q_out
    base = {
        "sample_rate": sample_rate,
        "channels": channels,
        "latent_dim": latent_dim,
        "quantizer": {"input_dim": q_in, "output_dim": q_out},
    }
    return OmegaConf.merge(base, groups)


def discriminator_variant(name: str) -> dict:
    """The values experiments/discriminator/<name>.yaml sets over the conf option it extends."""
    node = OmegaConf.load(ROOT / "experiments" / "discriminator" / f"{name}.yaml")
    (base,) = [d for d in node.defaults if d != "_self_"]
    return OmegaConf.to_container(node[base])


def group_node(group: str, option: str, overrides: dict | None = None):
    node = OmegaConf.load(ROOT / "conf" / group / f"{option}.yaml")
    return OmegaConf.merge(node, overrides or {})


def build(cfg, key: str) -> nn.Module:
    """Instantiate cfg.<key> (interpolations resolved against the whole cfg)."""
    return instantiate(OmegaConf.select(cfg, key), _convert_="all")


def n_params(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters() if p.requires_grad)


def meta_n_params(cfg, key: str) -> int:
    """Trainable parameter count without allocating memory (built on the meta device)."""
    with torch.device("meta"):
        return n_params(build(cfg, key))


def assert_round_trip(enc: nn.Module, dec: nn.Module, n_frames: int = 3, batch: int = 2) -> None:
    """T = n_frames * hop -> z (B, latent, n_frames) -> h (B, out_dim, T): the contract of src/codec.py."""
    hop = enc.hop_length
    assert dec.upsample == hop, (dec.upsample, hop)
    z = enc(torch.randn(batch, enc.channels, n_frames * hop))
    assert z.shape == (batch, enc.latent_dim, n_frames)
    h = dec(z)
    assert h.shape == (batch, dec.out_dim, n_frames * hop)
    assert torch.isfinite(h).all()
