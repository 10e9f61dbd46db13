"""codeclab presets paired with the official modules, same weights: what `src.bench parity` times.

Each pair gives, for one batch `wav (B, 1, T)`, a training loss (forward of the generator, waveform L1 +
quantizer losses: backward is the caller's) and an inference output (encode + decode) on both sides.
Vocos is a vocoder: both sides take the same log-mel features (codeclab's mel encoder).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import Tensor, nn

from src.benchmarks._official import copy_by_order, stub_missing_imports
from src.nn.kernels import call_fused

# preset -> (our overrides, official sizes) at tiny widths, for the fast test of the bench machinery
TINY = {
    "dac_16khz": (
        ["encoder.d_model=4", "latent_dim=64", "decoder.channels=32", "quantizer.n_codebooks=2"],
        {"encoder_dim": 4, "decoder_dim": 32, "n_codebooks": 2},
    ),
    "encodec_24khz": (
        ["encoder.n_filters=4", "decoder.n_filters=4", "latent_dim=16", "quantizer.n_codebooks=2"],
        {"n_filters": 4, "dimension": 16, "n_q": 2},
    ),
    "vocos": (["decoder.dim=32", "decoder.intermediate_dim=64"], {"dim": 32, "intermediate_dim": 64}),
}
FULL = {
    "dac_16khz": ([], {"encoder_dim": 64, "decoder_dim": 1536, "n_codebooks": 12}),
    "encodec_24khz": ([], {"n_filters": 32, "dimension": 128, "n_q": 32}),
    "vocos": ([], {"dim": 512, "intermediate_dim": 1536}),
}


@dataclass
class Pair:
    name: str
    sample_rate: int
    ours: nn.Module
    official: nn.Module
    train_ours: Callable[[Tensor], Tensor]
    train_official: Callable[[Tensor], Tensor]
    infer_ours: Callable[[Tensor], Tensor]
    infer_official: Callable[[Tensor], Tensor]
    # the official code with the same fused kernel as `trainer.compile=kernels` (patched in; returns the undo),
    # None where the official model has no layer that codeclab fuses
    fuse_official: Callable[[str], Callable[[], None]] | None = None


def _ours(preset: str, overrides: list[str]):
    from src.build import build_codec
    from src.compose import compose_train_config

    return build_codec(compose_train_config([f"preset={preset}", *overrides]))


def _l1(out: Tensor, wav: Tensor) -> Tensor:
    n = min(out.shape[-1], wav.shape[-1])  # the official DAC decoder returns a few samples fewer
    return (out[..., :n] - wav[..., :n]).abs().mean()


def interior_difference(a: Tensor, b: Tensor, margin: float = 0.1) -> float:
    """Largest |a - b| relative to max |b|, away from the edges (`margin` of the length each side), where
    padding conventions differ (the official DAC trims its convolutions, codeclab pads them): equal
    weights give ~1e-6 (float rounding)."""
    n = min(a.shape[-1], b.shape[-1])
    cut = int(margin * n)
    a, b = a[..., cut : n - cut], b[..., cut : n - cut]
    return ((a - b).abs().max() / b.abs().max().clamp_min(1e-12)).item()


def _dac_snake_formula(x: Tensor, alpha: Tensor) -> Tensor:
    """The official DAC Snake's formula, as a plain function for torch.compile (theirs is TorchScript)."""
    shape = x.shape
    x = x.reshape(shape[0], shape[1], -1)
    return (x + (alpha + 1e-9).reciprocal() * torch.sin(alpha * x).pow(2)).reshape(shape)


def fuse_dac_snake(backend: str = "inductor") -> Callable[[], None]:
    """Route the official DAC's Snake1d through a compiled kernel by codeclab's own mechanism
    (src/nn/kernels.call_fused: compiled once per backend, dynamic shapes, parameters not specialised, eager
    fallback). -> a function that restores the TorchScript one."""
    from dac.nn import layers

    original = layers.snake
    layers.snake = lambda x, alpha: call_fused("official_dac_snake", _dac_snake_formula, original, backend, x, alpha)
    return lambda: setattr(layers, "snake", original)


def dac_pair(overrides: list[str], sizes: dict) -> Pair:
    stub_missing_imports()
    from dac.model.dac import DAC

    ours = _ours("dac_16khz", overrides)
    off = DAC(
        encoder_dim=sizes["encoder_dim"],
        encoder_rates=[2, 4, 5, 8],
        decoder_dim=sizes["decoder_dim"],
        decoder_rates=[8, 5, 4, 2],
        n_codebooks=sizes["n_codebooks"],
        sample_rate=16000,
    )
    copy_by_order(off, ours)

    def train_ours(wav):
        out = ours(wav)
        return _l1(out.wav_hat, wav) + sum(out.aux_losses.values())

    def train_official(wav):
        out = off(wav, 16000)
        return _l1(out["audio"], wav) + out["vq/commitment_loss"] + out["vq/codebook_loss"]

    def infer_official(wav):  # through the codes, as codeclab's decode(encode(wav)) goes
        codes = off.encode(off.preprocess(wav, 16000))[1]
        return off.decode(off.quantizer.from_codes(codes)[0])[..., : wav.shape[-1]]

    return Pair(
        "dac_16khz",
        16000,
        ours,
        off,
        train_ours,
        train_official,
        lambda wav: ours.decode(ours.encode(wav), length=wav.shape[-1]),
        infer_official,
        fuse_dac_snake,
    )


def encodec_pair(overrides: list[str], sizes: dict) -> Pair:
    stub_missing_imports()
    from encodec.modules import SEANetDecoder, SEANetEncoder
    from encodec.quantization import ResidualVectorQuantizer

    ours = _ours("encodec_24khz", overrides)
    dim, n_f = sizes["dimension"], sizes["n_filters"]
    # codeclab's encodec_24khz pads causal convs with zeros (left reflect would read the future)
    off = nn.ModuleDict(
        {
            "encoder": SEANetEncoder(dimension=dim, n_filters=n_f, causal=True, pad_mode="constant"),
            "decoder": SEANetDecoder(dimension=dim, n_filters=n_f, causal=True, pad_mode="constant"),
            "quantizer": ResidualVectorQuantizer(dimension=dim, n_q=sizes["n_q"], bins=1024),
        }
    )
    copy_by_order(off["encoder"], ours.encoder)
    copy_by_order(off["decoder"], nn.ModuleList([ours.decoder, ours.head]))
    with torch.no_grad():  # k-means on one batch in ours, then the same codebooks into the official RVQ
        ours.train()(torch.randn(2, 1, 24000) * 0.1)
        for theirs, mine in zip(off["quantizer"].vq.layers, ours.quantizer.layers):
            cb, mc = theirs._codebook, mine.codebook
            cb.inited.fill_(1)
            cb.embed.copy_(mc.embed), cb.embed_avg.copy_(mc.embed_sum), cb.cluster_size.copy_(mc.cluster_size)

    def train_ours(wav):
        out = ours(wav)
        return _l1(out.wav_hat, wav) + sum(out.aux_losses.values())

    def train_official(wav):
        q = off["quantizer"](off["encoder"](wav), 24000)
        return _l1(off["decoder"](q.quantized), wav) + q.penalty

    def infer_official(wav):
        codes = off["quantizer"].encode(off["encoder"](wav), 24000)
        return off["decoder"](off["quantizer"].decode(codes))[..., : wav.shape[-1]]

    return Pair(
        "encodec_24khz",
        24000,
        ours,
        off,
        train_ours,
        train_official,
        lambda wav: ours.decode(ours.encode(wav), length=wav.shape[-1]),
        infer_official,
    )


def vocos_pair(overrides: list[str], sizes: dict) -> Pair:
    stub_missing_imports()
    from vocos.heads import ISTFTHead
    from vocos.models import VocosBackbone

    codec = _ours("vocos", overrides)
    ours = nn.ModuleList([codec.decoder, codec.head])
    off = nn.ModuleList(
        [
            VocosBackbone(100, sizes["dim"], sizes["intermediate_dim"], 8),
            ISTFTHead(sizes["dim"], 1024, 256, padding="same"),
        ]
    )
    copy_by_order(off, ours)

    def feats(wav):
        with torch.no_grad():
            return codec.encoder(codec.pad_to_hop(wav))

    def run_ours(wav):
        return codec.head(codec.decoder(feats(wav)))[..., : wav.shape[-1]]

    def run_official(wav):
        return off[1](off[0](feats(wav))).unsqueeze(1)[..., : wav.shape[-1]]  # (B, T) -> (B, 1, T)

    return Pair(
        "vocos",
        24000,
        ours,
        off,
        lambda wav: _l1(run_ours(wav), wav),
        lambda wav: _l1(run_official(wav), wav),
        run_ours,
        run_official,
    )


BUILDERS = {"dac_16khz": dac_pair, "encodec_24khz": encodec_pair, "vocos": vocos_pair}


def build_pair(name: str, size: str = "full") -> Pair:
    table = FULL if size == "full" else TINY
    if name not in BUILDERS:
        raise ValueError(f"preset={name!r}: parity pairs exist for {sorted(BUILDERS)}")
    torch.manual_seed(0)
    return BUILDERS[name](*table[name])
