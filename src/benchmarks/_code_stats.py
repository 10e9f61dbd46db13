"""Statistics behind `bench codes`: what the quantizer sees and emits on a fixed probe batch.

Bottleneck inputs are captured with forward hooks on the quantizer's own projection modules, so the
figures are those of the tensors the lookup really compares (no re-implementation of the quantizer).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

MEL_WEIGHT_KEY = "mel"


def channel_stats(x: Tensor) -> dict:
    """x: (B, D, F) -> per-channel mean/std over (B, F), and summaries of them.

    `frame_std_over_rms` (mean per-channel std / rms of x) is ~0 when x is the same vector at every frame
    (a constant output) and ~1 when the frames vary as much as their magnitude.
    `direction_concentration` = |mean over frames of x/|x||: 1 when every frame points the same way (an
    argmax-cosine lookup then picks one code for all of them), ~0 when the directions spread.
    """
    flat = x.detach().float().transpose(1, 2).reshape(-1, x.shape[1])  # (N, D)
    mean, std = flat.mean(0), flat.std(0)
    rms = flat.pow(2).mean().sqrt().clamp(min=1e-12)
    unit = F.normalize(flat, dim=1)
    return {
        "mean": [round(float(v), 5) for v in mean],
        "std": [round(float(v), 5) for v in std],
        "rms": float(rms),
        "mean_abs_mean": float(mean.abs().mean()),
        "mean_std": float(std.mean()),
        "frame_std_over_rms": float(std.mean() / rms),
        "direction_concentration": float(unit.mean(0).norm()),
    }


def usage(codes: Tensor, codebook_size: int) -> list[dict]:
    """codes: (B, n_q, F) -> per codebook: distinct codes, entropy (bits), share of the commonest code."""
    out = []
    for k in range(codes.shape[1]):
        counts = torch.bincount(codes[:, k].reshape(-1), minlength=codebook_size).float()
        p = counts[counts > 0] / counts.sum()
        out.append(
            {
                "distinct": int((counts > 0).sum()),
                "entropy_bits": float(-(p * p.log2()).sum()),
                "top_share": float(p.max()),
                "log2_size": math.log2(codebook_size),
            }
        )
    return out


def fsq_levels(fsq: nn.Module, e: Tensor) -> list[dict]:
    """FSQ: e (B, d, F) = in_proj output -> per dimension, the share of values rounding to each level
    (index 0 = lowest) and the std of the bounded value before rounding."""
    bounded = fsq._bound(e.detach().float())  # the quantizer's own bound
    digits = (bounded.round() + fsq._half_width()).long()
    rows = []
    for i, levels in enumerate(fsq.levels):
        d = digits[:, i].reshape(-1)
        share = torch.bincount(d, minlength=levels).float() / d.numel()
        rows.append(
            {
                "levels": levels,
                "share": [round(float(s), 4) for s in share],
                "input_std": float(e[:, i].float().std()),
                "bounded_std": float(bounded[:, i].std()),
            }
        )
    return rows


def bottleneck_inputs(quantizer: nn.Module) -> list[tuple[str, nn.Module]]:
    """The modules whose OUTPUT is what each lookup compares: (label, module) pairs."""
    if hasattr(quantizer, "levels"):  # FSQ: one projection to len(levels) scalars
        return [("fsq_in_proj", quantizer.in_proj)]
    return [(f"layer{i}_in_proj", layer.in_proj) for i, layer in enumerate(quantizer.layers)]


def cosine_lookup(quantizer: nn.Module) -> bool:
    """True for DAC/BigCodec factorized layers: a learned nn.Embedding compared after l2 normalisation."""
    return any(isinstance(getattr(layer, "codebook", None), nn.Embedding) for layer in getattr(quantizer, "layers", []))


@torch.no_grad()
def codebook_stats(quantizer: nn.Module) -> list[dict]:
    """Norms of each codebook's rows (raw rows: DAC's lookup normalises them, its output does not)."""
    rows = []
    for layer in getattr(quantizer, "layers", []):
        cb = layer.codebook
        w = cb.weight if isinstance(cb, nn.Embedding) else cb.embed
        norms = w.detach().float().norm(dim=1)
        rows.append({"row_norm_mean": float(norms.mean()), "row_norm_std": float(norms.std())})
    return rows


def probe(codec: nn.Module, wav: Tensor, recon: dict, weights: dict) -> dict:
    """One eval-mode pass (no statistics updated) on `wav` (B, C, T) -> the figures of one log point.

    Gradients: d(weighted mel)/dz through the straight-through path and d(aux losses)/dz, as norms per
    frame vector, beside d(weighted mel)/dz_q, so a lost straight-through gradient shows as a ratio ~0.
    """
    was_training = codec.training
    codec.eval()
    captured: dict[str, Tensor] = {}
    handles = [
        m.register_forward_hook(lambda _m, _i, o, key=label: captured.__setitem__(key, o))
        for label, m in bottleneck_inputs(codec.quantizer)
    ]
    try:
        z = codec.encoder(wav)
        qout = codec.quantizer(z)
        wav_hat = codec.head(codec.decoder(qout.z_q))
        mel = float(weights.get(MEL_WEIGHT_KEY, 1.0)) * recon[MEL_WEIGHT_KEY](wav_hat, wav)
        g_z, g_zq = torch.autograd.grad(mel, [z, qout.z_q], retain_graph=True)
        aux = sum(qout.aux_losses.values()) if qout.aux_losses else None
        g_aux = torch.autograd.grad(aux, z, retain_graph=True)[0] if aux is not None else torch.zeros_like(z)
        codes = codec.quantizer.encode(z)
    finally:
        for h in handles:
            h.remove()
        codec.train(was_training)

    def per_frame(g: Tensor) -> float:
        return float(g.float().norm(dim=1).mean())

    row = {
        "mel": mel.detach().item() / float(weights.get(MEL_WEIGHT_KEY, 1.0)),
        "z": channel_stats(z),
        "usage": usage(codes, int(codec.quantizer.codebook_size)),
        "grad": {
            "mel_dz": per_frame(g_z),
            "mel_dzq": per_frame(g_zq),
            "aux_dz": per_frame(g_aux),
            "st_ratio": per_frame(g_z) / max(per_frame(g_zq), 1e-30),
        },
        "inputs": {k: channel_stats(v) for k, v in captured.items()},
    }
    for k, v in captured.items():
        if k.startswith("layer") and cosine_lookup(codec.quantizer):  # what the argmax-cosine lookup sees
            row["inputs"][k + "_l2"] = channel_stats(F.normalize(v, dim=1))
    if "fsq_in_proj" in captured:
        row["fsq_levels"] = fsq_levels(codec.quantizer, captured["fsq_in_proj"])
    row["codebooks"] = codebook_stats(codec.quantizer)
    return row
