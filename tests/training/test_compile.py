"""trainer.compile: the codec's stages (quantizer included), the discriminators and the losses trace with zero
graph breaks and are not recompiled after warm-up (training steps in both adversarial phases, then an eval
forward).

Graph breaks and recompilations are Dynamo properties, independent of the backend: the "eager" backend
checks them without paying for inductor's code generation on a small CPU.
"""

from __future__ import annotations

import tempfile

import pytest
import torch
import torch._dynamo
from accelerate.state import AcceleratorState

from src.benchmarks import compose_bench_config
from src.build import build_trainer
from src.nn.kernels import FusedKernelLayer
from src.nn.snake import Snake1d
from src.quantizer.rvq import ResidualVQ
from src.training.compile import compile_for_training, compile_mode, compile_targets, dynamo_counts
from src.training.trainer import Trainer

SIZES = {
    "tiny": ["data.batch_size=2", "data.segment_seconds=0.5"],
    "demo": ["data.batch_size=2", "data.segment_seconds=0.64"],
}


def _trainer(preset: str, run_dir: str, *overrides: str) -> Trainer:
    AcceleratorState._reset_state(True)  # a test elsewhere may have set another mixed precision
    cfg = compose_bench_config([f"preset={preset}", "trainer.cpu=true", *SIZES[preset], *overrides], run_dir)
    return build_trainer(cfg)


def _quantizer_graphs() -> int:
    """Graphs Dynamo holds for ResidualVQ's compiled quantization (the presets' EMA RVQ), all instances."""
    from torch._dynamo.eval_frame import _debug_get_cache_entry_list

    return len(_debug_get_cache_entry_list(ResidualVQ._quantize.__code__))


def _steps(trainer: Trainer, n: int) -> None:
    batches = trainer._batches()
    for _ in range(n):
        logs = trainer.train_step([next(batches)])
        assert logs is not None
        trainer._after_step(logs)


@pytest.mark.slow
@pytest.mark.parametrize("preset", ["tiny", "demo"])
def test_compiled_training_has_no_graph_break_and_no_recompilation(preset):
    torch._dynamo.reset()
    torch._dynamo.utils.counters.clear()
    with tempfile.TemporaryDirectory() as run_dir:
        trainer = _trainer(
            preset, run_dir, "trainer.compile=true", "trainer.compile_backend=eager", "trainer.warmup_steps=1"
        )  # step 0 reconstruction only, adversarial from step 1
        assert trainer.compiled == list(compile_targets(trainer.codec_raw, trainer.discs_raw, trainer.recon))
        assert "codec.quantizer" in trainer.compiled and isinstance(trainer.codec_raw.quantizer, ResidualVQ)
        _steps(trainer, 2)  # warm-up: both phases traced (the quantizer's step 0, k-means init, runs eagerly)
        trainer.codec.eval()
        with torch.no_grad():
            trainer.codec(torch.randn(1, 1, 16000))
        trainer.codec.train()
        warm = dynamo_counts()
        assert warm["graph_breaks"] == 0
        assert warm["graphs"] >= len(trainer.compiled)  # every target was traced
        assert _quantizer_graphs() == 2  # the quantizer in training and in eval mode, one graph each
        _steps(trainer, 2)  # new data, same shapes
        trainer.codec.eval()
        with torch.no_grad():
            trainer.codec(torch.randn(1, 1, 16000))
        assert dynamo_counts() == warm  # no graph break, no recompilation after warm-up
        assert _quantizer_graphs() == 2


def test_compile_setting_is_checked():
    cpu, cuda = torch.device("cpu"), torch.device("cuda")
    snake_codec, elu_codec = torch.nn.Sequential(Snake1d(2)), torch.nn.Sequential(torch.nn.ELU())
    assert compile_mode(True, cpu) == "full" and compile_mode(False, cuda) == "off"
    assert compile_mode("kernels", cuda, elu_codec) == "kernels"
    assert compile_mode("auto", cuda, snake_codec) == "full"
    assert compile_mode("auto", cpu, snake_codec) == "kernels"  # pays within a few steps on a CPU
    assert compile_mode("auto", cpu, elu_codec) == "off"  # nothing to fuse; a full compile does not pay
    assert compile_mode("auto", cuda) == "full" and compile_mode("kernels", cpu) != "full"
    with pytest.raises(ValueError, match="trainer.compile"):
        compile_mode("yes please", cpu)


def test_kernels_mode_routes_the_training_codec_through_the_fused_snake():
    """trainer.compile=kernels on a Snake codec: the training codec's Snake layers use the compiled kernel (the
    EMA copy stays eager), nothing else is compiled, and steps train with finite losses."""
    torch._dynamo.reset()
    torch._dynamo.utils.counters.clear()
    with tempfile.TemporaryDirectory() as run_dir:
        trainer = _trainer(
            "tiny",
            run_dir,
            "encoder.activation=snake",
            "head.activation=snake",
            "trainer.compile=kernels",
            "trainer.compile_backend=aot_eager",
        )
        assert trainer.compiled == ["kernels"]
        layers = [m for m in trainer.codec_raw.modules() if isinstance(m, FusedKernelLayer)]
        assert layers and all(m.fused_backend == "aot_eager" for m in layers)
        _steps(trainer, 2)
        assert dynamo_counts()["graphs"] >= 1 and dynamo_counts()["graph_breaks"] == 0


def test_compiled_modules_keep_their_state_dict_keys():
    """Checkpoints of a compiled run load into an eager codec: compiling in place adds no `_orig_mod.`."""
    with tempfile.TemporaryDirectory() as run_dir:
        eager = _trainer("tiny", run_dir)
        keys = set(eager.codec_raw.state_dict())
    with tempfile.TemporaryDirectory() as run_dir:
        compiled = _trainer("tiny", run_dir, "trainer.compile=true", "trainer.compile_backend=eager")
        assert set(compiled.codec_raw.state_dict()) == keys


@pytest.mark.slow
def test_toy_run_trains_compiled(tmp_path):
    """The trainer's compile hook on the toy components: a full (short) fit, every target traced, no break."""
    from tests.training.helpers import toy_config

    torch._dynamo.reset()
    torch._dynamo.utils.counters.clear()
    AcceleratorState._reset_state(True)
    trainer = build_trainer(
        toy_config(
            tmp_path,
            "trainer.compile=true",
            "trainer.compile_backend=eager",
            "trainer.max_steps=3",
            "trainer.warmup_steps=1",
        )
    )
    summary = trainer.fit()
    assert summary is not None and trainer.step == 3 and trainer.nonfinite_total == 0
    counts = dynamo_counts()
    assert counts["graph_breaks"] == 0 and counts["graphs"] >= len(trainer.compiled)


def _broken_backend(graph, example_inputs):
    raise RuntimeError("this backend cannot compile")


class _Affine(torch.nn.Module):
    """Defined here, not in torch.nn: Dynamo does not compile frames of torch's own files on their own."""

    def __init__(self) -> None:
        super().__init__()
        self.weight = torch.nn.Parameter(torch.randn(3))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.weight + 1.0


def _four_stage_codec() -> torch.nn.Module:
    codec = torch.nn.Module()
    for stage in ("encoder", "quantizer", "decoder", "head"):
        setattr(codec, stage, _Affine())
    return codec


@pytest.mark.parametrize("falls_back", [True, False])
def test_a_frame_that_fails_to_compile_runs_eagerly_only_under_auto(falls_back):
    """trainer.compile=auto (errors_fall_back) keeps a run going when a frame cannot be compiled; an explicit
    trainer.compile=true stops it with the compiler's error."""
    torch._dynamo.reset()
    codec, x = _four_stage_codec(), torch.randn(2, 3)
    expected = x * codec.encoder.weight + 1.0
    # set, never read (a read failed once in CI with "no attribute"); compile_for_training sets it process-wide
    torch._dynamo.config.suppress_errors = False
    try:
        compile_for_training(codec, {}, {}, backend=_broken_backend, errors_fall_back=falls_back)
        if falls_back:
            torch.testing.assert_close(codec.encoder(x), expected)
        else:
            with pytest.raises(Exception, match="this backend cannot compile"):
                codec.encoder(x)
    finally:
        torch._dynamo.config.suppress_errors = False  # Dynamo's default: other tests see compile errors
