"""`trainer.compile`: torch.compile (Ansel et al. 2024, "PyTorch 2") of the codec's stages, the discriminators
and the reconstruction losses for training.

Each module's forward is compiled in place (`nn.Module.compile`), so state-dict keys, checkpoints, DDP
wrapping and the training step itself stay as they are. The quantizer is left eager on purpose: its EMA
codebooks take data-dependent steps (k-means on the first batch, dead-code replacement whose count is
read on the host, bincount of codes, masked rows) that Dynamo can only run by breaking the graph, and its
Python-side usage window would recompile every step. It is a small share of a step (1x1 projections and
one distance matmul per codebook), while the encoder, decoder, head, discriminators and spectral losses
compile as single graphs: `tests/training/test_compile.py` checks zero graph breaks and no recompilation
after warm-up on preset=tiny and preset=demo. Figures: docs/speed.md.

`trainer.compile=kernels` compiles only the fused elementwise kernels (src/nn/kernels.py: Snake); `auto`
picks full compilation on CUDA and the kernels on a CPU where the codec has them (`compile_mode`).
"""

from __future__ import annotations

from collections.abc import Mapping

import torch
from torch import nn

from src.nn.kernels import has_fused_kernels

# the codec's stages compiled by trainer.compile; the quantizer stays eager (see the module docstring)
COMPILED_CODEC_STAGES = ("encoder", "decoder", "head")


COMPILE_SETTINGS = (False, True, "auto", "kernels")


def compile_mode(setting, device: torch.device, codec: nn.Module | None = None) -> str:
    """trainer.compile -> what is compiled: "full" (stages, discriminators, losses), "kernels" (the fused
    elementwise kernels only) or "off".

    true = full; kernels = kernels; false = off; auto = full on CUDA, and on a CPU kernels for a codec that
    has them (Snake codecs: a few seconds of compilation, paid back within a few steps; docs/speed.md) and
    off otherwise (a full compile costs 15+ min on 2 cores).
    """
    if isinstance(setting, bool):
        return "full" if setting else "off"
    name = str(setting).lower()
    if name == "kernels":
        return "kernels"
    if name == "auto":
        if device.type == "cuda":
            return "full"
        return "kernels" if codec is not None and has_fused_kernels(codec) else "off"
    raise ValueError(f"trainer.compile={setting!r}: use false, true, kernels or auto (docs/speed.md)")


def compile_enabled(setting, device: torch.device) -> bool:
    """Is a full compile asked for (trainer.compile true, or auto on CUDA)?"""
    return compile_mode(setting, device) == "full"


def compile_targets(
    codec: nn.Module, discriminators: Mapping[str, nn.Module], losses: Mapping[str, nn.Module]
) -> dict[str, nn.Module]:
    """-> {name: module} that trainer.compile compiles: codec.encoder/decoder/head, each discriminator,
    each reconstruction loss."""
    targets = {f"codec.{stage}": getattr(codec, stage) for stage in COMPILED_CODEC_STAGES}
    targets.update({f"discriminator.{name}": d for name, d in discriminators.items()})
    targets.update({f"loss.{name}": loss for name, loss in losses.items()})
    return targets


def compile_for_training(
    codec: nn.Module,
    discriminators: Mapping[str, nn.Module],
    losses: Mapping[str, nn.Module],
    backend: str = "inductor",
    mode: str | None = None,
    fullgraph: bool = False,
) -> list[str]:
    """Compile the forwards of `compile_targets(...)` in place (lazily: the first call traces).
    -> the compiled modules' names. `fullgraph=True` turns any graph break into an error (tests)."""
    # SEANet/EnCodec LSTMs: by default Dynamo breaks the graph around every nn.LSTM; traced, they are one op
    torch._dynamo.config.allow_rnn = True
    targets = compile_targets(codec, discriminators, losses)
    for module in targets.values():
        module.compile(backend=backend, mode=mode, fullgraph=fullgraph)
    return list(targets)


def dynamo_counts() -> dict[str, int]:
    """Process-wide Dynamo counters: graph breaks so far and graphs compiled so far (a graph compiled
    after warm-up is a recompilation)."""
    from torch._dynamo.utils import counters

    return {
        "graph_breaks": int(sum(counters["graph_break"].values())),
        "graphs": int(counters["stats"]["unique_graphs"]),
    }
