"""Published checkpoints -> codeclab run directories (`python -m src.convert`, docs/published_checkpoints.md).

Each format lives in src/convert/<format>.py and exposes `convert(checkpoint: Path) -> ConvertedCheckpoint`;
src/convert/registry.py lists them. A converter reads the source's own config (DAC's metadata kwargs, the
EnCodec / Hugging Face config) to choose the preset; it never guesses from file names.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch


@dataclass
class ConvertedCheckpoint:
    """A published checkpoint in codeclab's terms.

    preset: the experiments/preset/<name>.yaml the architecture equals.
    overrides: Hydra overrides on top of the preset (e.g. `decoder.exact_odd_strides=false`, the official
        trailing-sample behaviour), applied when the run's config is composed.
    codec_state: codeclab Codec state-dict names -> tensors (loaded strictly).
    discriminator_state: the discriminators' state dict (codeclab names) when the checkpoint holds them.
    source: for the record (written to the run directory): format, file, the official config/kwargs.
    """

    preset: str
    overrides: list[str]
    codec_state: dict[str, torch.Tensor]
    discriminator_state: dict[str, torch.Tensor] | None = None
    source: dict = field(default_factory=dict)
