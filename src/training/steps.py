"""The two halves of a GAN codec training step. They return losses; only the Trainer calls backward."""

from __future__ import annotations

import contextlib
from collections.abc import Mapping

import torch
from torch import Tensor, nn

from src.loss.weighted import LossWeights
from src.types import CodecOutput, DiscriminatorOutput


def length_masks(lengths: Tensor, total: int, hop: int) -> tuple[Tensor, Tensor]:
    """lengths: (B,) valid samples -> frame mask (B, ceil(total / hop)) bool, sample mask (B, 1, total)."""
    frames = -(-total // hop)
    frame_mask = torch.arange(frames, device=lengths.device)[None] < (-(-lengths // hop))[:, None]
    sample_mask = torch.arange(total, device=lengths.device)[None] < lengths[:, None]
    return frame_mask, sample_mask[:, None]


def _split(out: DiscriminatorOutput, n: int) -> tuple[DiscriminatorOutput, DiscriminatorOutput]:
    """Split a discriminator output computed on cat([real, fake]) along the batch."""
    first = DiscriminatorOutput([x[:n] for x in out.logits], [[f[:n] for f in fm] for fm in out.fmaps])
    second = DiscriminatorOutput([x[n:] for x in out.logits], [[f[n:] for f in fm] for fm in out.fmaps])
    return first, second


def run_discriminators(discs: Mapping[str, nn.Module], real: Tensor, fake: Tensor):
    """real, fake: (B, C, T) -> (real outputs, fake outputs), one DiscriminatorOutput per discriminator.

    Both waveforms go through ONE forward (a concatenated batch): half the kernel launches, and under DDP a
    single forward per backward. Valid because discriminators hold no batch statistics: the rule of
    src/discriminator/base.py, checked when they are built (check_no_batch_statistics).
    """
    reals, fakes = [], []
    for disc in discs.values():
        r, f = _split(disc(torch.cat([real, fake.to(real.dtype)])), real.shape[0])
        reals.append(r)
        fakes.append(f)
    return reals, fakes


@contextlib.contextmanager
def frozen(modules: Mapping[str, nn.Module]):
    """Disable parameter gradients (the generator step must not accumulate discriminator gradients)."""
    params = [p for m in modules.values() for p in m.parameters()]
    flags = [p.requires_grad for p in params]
    for p in params:
        p.requires_grad_(False)
    try:
        yield
    finally:
        for p, flag in zip(params, flags):
            p.requires_grad_(flag)


def discriminator_step(discs: Mapping[str, nn.Module], adversarial, wav: Tensor, wav_hat: Tensor):
    """-> (loss, logs): the discriminator objective on real `wav` and the DETACHED reconstruction."""
    real, fake = run_discriminators(discs, wav, wav_hat.detach())
    loss = adversarial.discriminator_loss(real, fake)
    logs = {"disc/loss": loss.detach()}
    if len(discs) > 1:
        with torch.no_grad():
            for name, r, f in zip(discs, real, fake):
                logs[f"disc/{name}"] = adversarial.discriminator_loss([r], [f])
    return loss, logs


def generator_step(
    out: CodecOutput,
    wav: Tensor,
    reconstruction: Mapping[str, nn.Module],
    weights: LossWeights,
    adversarial=None,
    discs: Mapping[str, nn.Module] | None = None,
    balancer=None,
):
    """-> (loss to backpropagate, {term: value}).

    Terms: reconstruction losses on (wav_hat, wav); the adversarial terms when `discs` is given (the
    caller passes them only after trainer.warmup_steps); the quantizer's aux losses. Without a balancer
    the loss is LossWeights.combine of all terms; with one, the terms that depend on wav_hat are balanced
    through their gradients w.r.t. wav_hat and the aux terms are added with their weights.
    """
    terms = {name: fn(out.wav_hat, wav) for name, fn in reconstruction.items()}
    if discs:
        real, fake = run_discriminators(discs, wav, out.wav_hat)
        terms.update(adversarial.generator_loss(real, fake))
    aux = dict(out.aux_losses)
    if balancer is None:
        loss = weights.combine({**terms, **aux})
    else:
        loss = balancer(terms, out.wav_hat, weights.weights)
        if aux:
            loss = loss + weights.combine(aux)
    return loss, {**terms, **aux}
