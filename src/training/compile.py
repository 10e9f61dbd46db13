"""`trainer.compile`: torch.compile (Ansel et al. 2024, "PyTorch 2") of the codec's stages (encoder, quantizer,
decoder, head), the discriminators and the reconstruction losses for training.

Each module's forward is compiled in place (`nn.Module.compile`), so state-dict keys, checkpoints, DDP
wrapping and the training step itself stay as they are. The quantizers are written to trace as one graph:
fixed-shape code counts and EMA statistics (masks instead of `x[valid]`, index_add instead of bincount), the
usage window in buffers, dead-code replacement by masks over a fixed-size candidate set, and collectives
Dynamo traces as functional ones (all_reduce, all_gather_single). The one exception, the EMA codebooks'
k-means init on the first training batch (host reads, a CPU generator, variable-size gathers), runs once per
run outside the graph: `ResidualVQ.compile` compiles its quantization and leaves `forward` as an eager
dispatch that takes the uncompiled path while a codebook is not yet initialised (src/quantizer/rvq.py).
`tests/training/test_compile.py` checks zero graph breaks and no recompilation after warm-up on preset=tiny
and preset=demo, and tests/quantizer/test_compiled_quantizers.py each discrete quantizer alone (fullgraph,
same outputs as eager). Figures: docs/speed.md.

`trainer.compile=kernels` compiles only the fused elementwise kernels (src/nn/kernels.py: Snake); `auto`
picks full compilation on CUDA and the kernels on a CPU where the codec has them (`compile_mode`).
"""

from __future__ import annotations

from collections.abc import Mapping

import torch
from torch import nn

from src.nn.kernels import has_fused_kernels

# the codec's stages compiled by trainer.compile (the EMA quantizers' first step stays eager: module docstring)
COMPILED_CODEC_STAGES = ("encoder", "quantizer", "decoder", "head")


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


def compile_targets(
    codec: nn.Module, discriminators: Mapping[str, nn.Module], losses: Mapping[str, nn.Module]
) -> dict[str, nn.Module]:
    """-> {name: module} that trainer.compile compiles: codec.encoder/quantizer/decoder/head, each
    discriminator, each reconstruction loss."""
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
    errors_fall_back: bool = False,
) -> list[str]:
    """Compile the forwards of `compile_targets(...)` in place (lazily: the first call traces).
    -> the compiled modules' names. `fullgraph=True` turns any graph break into an error (tests).
    `errors_fall_back=True` (trainer.compile=auto) lets a frame that fails to compile run eagerly with a
    logged warning instead of stopping the run (Dynamo's `suppress_errors`, process-wide)."""
    # SEANet/EnCodec LSTMs: by default Dynamo breaks the graph around every nn.LSTM; traced, they are one op
    torch._dynamo.config.allow_rnn = True
    if errors_fall_back:
        torch._dynamo.config.suppress_errors = True
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
