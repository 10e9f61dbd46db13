"""trainer.init_from=<run_dir>: a new run starts from a finished run's weights (preset=tiny), with a fresh
optimizer and schedule; refused with a resume path and with a different architecture."""

import logging

import pytest
import torch

from src.benchmarks import compose_bench_config
from src.build import build_trainer, load_codec
from src.training.checkpoint import list_checkpoints, load_tensors

pytestmark = pytest.mark.slow  # one tiny training run (~20 s on one CPU core)

TINY = [
    "preset=tiny",
    "data.batch_size=2",
    "trainer.max_steps=1",
    "trainer.val_every=0",
    "trainer.demo_every=0",
    "trainer.checkpoint_every=1",
    "trainer.cpu=true",
    "trainer.warmup_steps=0",
    "trainer.val_batches=1",
]


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    run_dir = tmp_path_factory.mktemp("source")
    build_trainer(compose_bench_config([*TINY, "trainer.resume=auto"], str(run_dir))).fit()
    return run_dir


def test_init_from_loads_codec_and_discriminators_with_a_fresh_schedule(finished, tmp_path, caplog):
    trainer = build_trainer(compose_bench_config([*TINY, f"trainer.init_from={finished}"], str(tmp_path)))
    with caplog.at_level(logging.INFO, logger="src.training.init_from"):
        trainer.start()
    assert f"initialised weights from {finished} (fresh optimizer and schedule)" in caplog.text
    source = load_codec(finished).state_dict()
    assert all(torch.equal(v, source[k]) for k, v in trainer.codec_raw.state_dict().items())
    discs = load_tensors(list_checkpoints(finished)[-1] / "discriminators.safetensors")
    assert all(torch.equal(v, discs[k]) for k, v in trainer.discs_raw.state_dict().items())
    assert trainer.step == 0 and trainer.resumed_from is None and not trainer.opt_g.state_dict()["state"]
    trainer.logger.close()


def test_init_from_refuses_a_resume_path_and_another_architecture(finished, tmp_path):
    ckpt = list_checkpoints(finished)[-1]
    cfg = compose_bench_config([*TINY, f"trainer.init_from={finished}"], str(tmp_path / "a"))
    cfg.trainer.resume = str(ckpt)  # compose_bench_config pins trainer.resume=none
    with pytest.raises(ValueError, match="trainer.init_from=.* with trainer.resume=.*choose one"):
        build_trainer(cfg)
    wider = build_trainer(
        compose_bench_config([*TINY, f"trainer.init_from={finished}", "quantizer.n_codebooks=2"], str(tmp_path / "b"))
    )
    with pytest.raises(ValueError, match=r"does not fit this run's codec.*unexpected keys \['quantizer"):
        wider.start()
