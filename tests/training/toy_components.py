"""Tiny components honouring the codeclab contracts (src/codec.py, src/types.py, the data contract),
so that the trainer's tests run in seconds and test the loop, not a model.

The real components exist (src/encoder, src/quantizer, ...); these stay because the trainer
tests (bitwise resume, checkpoint integrity, several processes, time budgets, the CLI) need whole
runs of a few steps on a CPU: a codec of ~2,600 parameters, a data set that is a pure function of
(seed, epoch, index), and a VQ whose init consumes the global RNG (so a resume that restores the
RNG wrongly is caught). Selected through tests/training/conf (`encoder=toy` etc., helpers.py);
they live outside the project's packages, so a toy run's load_codec must trust them by name."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.utils.data import Dataset

from src.decoder.base import Decoder
from src.discriminator.base import Discriminator
from src.encoder.base import Encoder
from src.head.base import Head
from src.quantizer.base import DiscreteQuantizer, EagerWarmup
from src.quantizer.common import code_counts
from src.types import DiscriminatorOutput, QuantizerOutput


def _distributed() -> bool:
    return torch.distributed.is_available() and torch.distributed.is_initialized()


class ToyEncoder(Encoder):
    """wav (B, C, T) -> z (B, latent_dim, T / prod(strides)) with strided convs."""

    def __init__(self, channels: int, latent_dim: int, hidden: int = 8, strides=(4, 4)) -> None:
        super().__init__()
        layers, dim = [nn.Conv1d(channels, hidden, 3, padding=1)], hidden
        for s in strides:
            layers += [nn.ELU(), nn.Conv1d(dim, dim, 2 * s, stride=s, padding=s // 2)]
        layers += [nn.ELU(), nn.Conv1d(dim, latent_dim, 3, padding=1)]
        self.net = nn.Sequential(*layers)
        self.hop_length, self.latent_dim = math.prod(strides), latent_dim

    def forward(self, wav: Tensor) -> Tensor:
        return self.net(wav)


class ToyVQ(EagerWarmup, DiscreteQuantizer):
    """One EMA codebook with k-means-free random init from the first batch (consumes the global RNG, which
    is what the resume test needs) and a straight-through estimator. z: (B, D, F).

    Compile-clean as the real EMA quantizers are (trainer.compile): the init reads the host, so it runs in
    EagerWarmup's uncompiled first step, behind the Python mirror `ready` of the `initialized` buffer."""

    aux_loss_names = ("vq/commitment",)
    is_discrete = True
    n_codebooks = 1

    def __init__(
        self,
        input_dim: int,
        output_dim: int,
        codebook_size: int = 32,
        decay: float = 0.9,
        commitment_weight: float = 0.25,
    ) -> None:
        super().__init__()
        if output_dim != input_dim:
            raise ValueError(f"quantizer.output_dim={output_dim} must equal quantizer.input_dim={input_dim}")
        self.input_dim = self.output_dim = input_dim
        self.codebook_size, self.decay, self.commitment_weight = codebook_size, decay, commitment_weight
        self.register_buffer("codebook", torch.zeros(codebook_size, input_dim))
        self.register_buffer("initialized", torch.zeros((), dtype=torch.bool))
        self.ready = False

    def _load_from_state_dict(self, *args, **kwargs) -> None:
        super()._load_from_state_dict(*args, **kwargs)
        self.ready = False  # `initialized` may have changed: the next training step re-reads it eagerly

    def warming_up(self, n: int) -> bool:
        return not self.ready

    def _nearest(self, flat: Tensor) -> Tensor:
        return torch.cdist(flat, self.codebook).argmin(dim=-1)

    def forward(self, z: Tensor, mask: Tensor | None = None, n_quantizers: int | None = None) -> QuantizerOutput:
        return self.run_quantize(z, mask, 1)

    def _quantize(self, z: Tensor, mask: Tensor | None, n: int) -> QuantizerOutput:
        b, d, f = z.shape
        flat = z.detach().transpose(1, 2).reshape(-1, d).float()
        if self.training and not self.ready:  # eager only (EagerWarmup)
            if not bool(self.initialized):
                pick = torch.randint(0, flat.shape[0], (self.codebook_size,), device=flat.device)
                self.codebook.copy_(flat[pick])
                self.initialized.fill_(True)
                if _distributed():  # every rank holds rank 0's initial codebook
                    torch.distributed.broadcast(self.codebook, 0)
            self.ready = True
        idx = self._nearest(flat)
        if self.training:
            onehot = F.one_hot(idx, self.codebook_size).float()
            counts, sums = onehot.sum(0), onehot.t() @ flat
            if _distributed():  # statistics summed over ranks, as DESIGN.md requires of EMA codebooks
                torch.distributed.all_reduce(counts)
                torch.distributed.all_reduce(sums)
            used = (counts > 0)[:, None]  # masks, not codebook[used]: fixed shapes (compile-clean)
            new = sums / counts.clamp(min=1)[:, None]
            self.codebook.copy_(torch.where(used, self.decay * self.codebook + (1 - self.decay) * new, self.codebook))
        q = self.codebook[idx].view(b, f, d).transpose(1, 2).to(z.dtype)
        commit = F.mse_loss(z, q.detach()) * self.commitment_weight
        z_q = z + (q - z).detach()
        codes = idx.view(b, 1, f)
        used = (code_counts(idx, self.codebook_size) > 0).sum().float()  # distinct codes, no unique(): fixed shape
        return QuantizerOutput(z_q, codes, {"vq/commitment": commit}, {"vq/used": used})

    def encode(self, z: Tensor, n_quantizers: int | None = None) -> Tensor:
        b, d, f = z.shape
        return self._nearest(z.transpose(1, 2).reshape(-1, d).float()).view(b, 1, f)

    def decode(self, codes: Tensor) -> Tensor:
        b, _, f = codes.shape
        return self.codebook[codes[:, 0].reshape(-1)].view(b, f, -1).transpose(1, 2)


class ToyDecoder(Decoder):
    """z_q (B, latent_dim, F) -> h (B, out_dim, F * prod(strides)) with transposed convs."""

    def __init__(self, latent_dim: int, out_dim: int, strides=(4, 4)) -> None:
        super().__init__()
        layers, dim = [nn.Conv1d(latent_dim, out_dim, 3, padding=1)], out_dim
        for s in strides:
            layers += [nn.ELU(), nn.ConvTranspose1d(dim, dim, 2 * s, stride=s, padding=s // 2)]
        self.net = nn.Sequential(*layers)
        self.latent_dim, self.out_dim, self.upsample = latent_dim, out_dim, math.prod(strides)

    def forward(self, z_q: Tensor, bandwidth_id: Tensor | None = None) -> Tensor:
        return self.net(z_q)


class ToyHead(Head):
    """h (B, in_dim, T) -> wav (B, C, T)."""

    upsample = 1

    def __init__(self, in_dim: int, channels: int) -> None:
        super().__init__()
        self.in_dim = in_dim
        self.conv = nn.Conv1d(in_dim, channels, 7, padding=3)

    def forward(self, h: Tensor) -> Tensor:
        return torch.tanh(self.conv(h))


class ToyDiscriminator(Discriminator):
    """Two sub-discriminators (full rate and 2x pooled), each with two feature maps."""

    def __init__(self, channels: int, hidden: int = 4) -> None:
        super().__init__()
        self.channels = channels
        self.subs = nn.ModuleList(
            nn.ModuleList([nn.Conv1d(channels, hidden, 9, stride=4, padding=4), nn.Conv1d(hidden, 1, 3, padding=1)])
            for _ in range(2)
        )

    def forward(self, wav: Tensor, bandwidth_id: Tensor | None = None) -> DiscriminatorOutput:
        logits, fmaps = [], []
        for i, (conv, out) in enumerate(self.subs):
            x = F.avg_pool1d(wav, 2) if i else wav
            h = F.leaky_relu(conv(x), 0.1)
            y = out(h)
            logits.append(y)
            fmaps.append([h, y])
        return DiscriminatorOutput(logits, fmaps)


class ToyAudio(Dataset):
    """Sines plus noise; item i of epoch e is a pure function of (seed, epoch, i)."""

    def __init__(self, n: int, sample_rate: int, channels: int, seconds: float, seed: int, vary: bool) -> None:
        self.n, self.sr, self.channels, self.seconds, self.seed, self.vary = (
            n,
            sample_rate,
            channels,
            seconds,
            seed,
            vary,
        )
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = int(epoch)

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i: int) -> dict:
        g = torch.Generator().manual_seed(self.seed * 1_000_003 + self.epoch * 10_007 + i)
        length = int(self.sr * self.seconds * (1 - 0.1 * (i % 3) if self.vary else 1))
        t = torch.arange(length) / self.sr
        freq = 100 + 900 * torch.rand((), generator=g)
        wav = 0.5 * torch.sin(2 * math.pi * freq * t) + 0.05 * torch.randn(length, generator=g)
        return {"wav": wav.expand(self.channels, -1).clone(), "item": f"toy{i}", "speaker": f"spk{i % 2}"}


def collate(items: list[dict]) -> dict:
    lengths = torch.tensor([it["wav"].shape[-1] for it in items])
    wav = torch.zeros(len(items), items[0]["wav"].shape[0], int(lengths.max()))
    for k, it in enumerate(items):
        wav[k, :, : it["wav"].shape[-1]] = it["wav"]
    return {
        "wav": wav,
        "lengths": lengths,
        "item": [it["item"] for it in items],
        "speaker": [it["speaker"] for it in items],
    }


class ToyData:
    """The data-module contract: batch_size, num_workers, segment_seconds, split(name), skipped, collate."""

    collate = staticmethod(collate)

    def __init__(
        self,
        sample_rate: int,
        channels: int,
        batch_size: int = 2,
        num_workers: int = 0,
        segment_seconds: float = 0.5,
        n_train: int = 16,
        n_valid: int = 4,
        seed: int = 0,
    ) -> None:
        self.batch_size, self.num_workers, self.segment_seconds = batch_size, num_workers, segment_seconds
        self.skipped: dict[str, str] = {}
        self._splits = {
            "train": ToyAudio(n_train, sample_rate, channels, segment_seconds, seed, vary=False),
            "valid": ToyAudio(n_valid, sample_rate, channels, segment_seconds, seed + 1, vary=True),
            "test": ToyAudio(n_valid, sample_rate, channels, segment_seconds, seed + 2, vary=True),
        }

    def split(self, name: str) -> ToyAudio:
        return self._splits[name]
