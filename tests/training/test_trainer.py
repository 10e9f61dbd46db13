"""One CPU training step and the step's rules: warm-up before the adversarial terms, encoder freezing,
no discriminators, the non-finite guard, the EMA, and the exported codec."""

import math
import warnings

import pytest
import torch

from src.build import build_trainer, load_codec
from src.training.trainer import NonFiniteLossError
from tests.training.helpers import TOY_TARGETS, state_of, toy_config


def _batch(trainer):
    loader = iter(trainer._batches())
    return [next(loader)]


def test_one_step_updates_codec_and_discriminator(tmp_path):
    tr = build_trainer(toy_config(tmp_path))
    codec0, disc0 = state_of(tr.codec_raw), state_of(tr.discs_raw)
    logs = tr.train_step(_batch(tr))
    assert logs is not None
    for name in ("loss/mel", "loss/adv/gen", "loss/adv/feat", "loss/vq/commitment", "disc/loss"):
        assert math.isfinite(float(logs[name])), name
    changed = [k for k in codec0 if not torch.equal(codec0[k], tr.codec_raw.state_dict()[k])]
    assert any(k.startswith("encoder.") for k in changed) and any(k.startswith("decoder.") for k in changed)
    assert all(not torch.equal(disc0[k], tr.discs_raw.state_dict()[k]) for k in disc0 if "weight" in k)


def test_warmup_trains_without_adversary_and_freezes_encoder_after(tmp_path):
    tr = build_trainer(toy_config(tmp_path, "trainer.warmup_steps=1", "trainer.encoder_freeze_on_warmup=true"))
    disc0 = state_of(tr.discs_raw)
    logs = tr.train_step(_batch(tr))
    assert "loss/adv/gen" not in logs and "disc/loss" not in logs
    assert all(torch.equal(disc0[k], v) for k, v in tr.discs_raw.state_dict().items())
    tr._after_step(logs)
    enc0, dec0 = state_of(tr.codec_raw.encoder), state_of(tr.codec_raw.decoder)
    logs = tr.train_step(_batch(tr))
    assert "loss/adv/gen" in logs
    assert all(torch.equal(enc0[k], v) for k, v in tr.codec_raw.encoder.state_dict().items())
    assert any(not torch.equal(dec0[k], v) for k, v in tr.codec_raw.decoder.state_dict().items())


def test_no_discriminator_trains_reconstruction_only(tmp_path):
    tr = build_trainer(toy_config(tmp_path, "discriminator=[]"))
    assert tr.opt_d is None and tr.adversarial is None
    logs = tr.train_step(_batch(tr))
    assert "loss/adv/gen" not in logs and "loss/mel" in logs


def test_nonfinite_batch_is_skipped_and_counted(tmp_path):
    tr = build_trainer(toy_config(tmp_path))
    batch = _batch(tr)
    before = state_of(tr.codec_raw)
    bad = [{**batch[0], "wav": torch.full_like(batch[0]["wav"], float("nan"))}]
    logs = tr.train_step(bad)
    assert logs is None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        tr._after_step(logs)
    # the schedule still steps on a skipped step, and PyTorch's "before optimizer.step()" warning is expected
    assert not [w for w in caught if "lr_scheduler.step()" in str(w.message)]
    assert (tr.nonfinite_run, tr.nonfinite_total, tr.step) == (1, 1, 1)
    after = tr.codec_raw.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)  # buffers (codebook) restored too
    tr._after_step(tr.train_step(batch))
    assert (tr.nonfinite_run, tr.nonfinite_total) == (0, 1)


def test_too_many_nonfinite_stops_and_keeps_last_good_checkpoint(tmp_path):
    build_trainer(toy_config(tmp_path, "trainer.checkpoint_every=1")).fit()
    cfg = toy_config(
        tmp_path,
        "trainer.max_steps=10",
        "trainer.max_nonfinite=3",
        "loss.weights.mel=nan",
        "trainer.checkpoint_every=1",
    )
    with pytest.raises(NonFiniteLossError, match="3 consecutive non-finite"):
        build_trainer(cfg).fit()
    ckpts = sorted(p.name for p in (tmp_path / "checkpoints").iterdir())
    assert ckpts == ["step_00000001", "step_00000002"]


def test_ema_tracks_and_is_exported(tmp_path):
    tr = build_trainer(toy_config(tmp_path, "trainer.use_ema=true", "trainer.ema_decay=0.5"))
    summary = tr.fit()
    assert summary["ema"] and tr.ema.updates == 2
    exported = load_codec(tmp_path, trusted_targets=TOY_TARGETS)
    ema, raw = tr.ema.shadow.state_dict(), tr.codec_raw.state_dict()
    for k, v in exported.state_dict().items():
        assert torch.equal(v, ema[k])
    assert any(not torch.equal(ema[k], raw[k]) for k in raw if k.endswith("weight"))
    wav = torch.randn(1, 1, 1000)
    assert exported.decode(exported.encode(wav), length=1000).shape == wav.shape


def test_balanced_loss_config_trains(tmp_path):
    tr = build_trainer(toy_config(tmp_path, "loss=balanced"))
    assert tr.balancer is not None and tr.weights.weights["adv/gen"] == 3.0
    logs = tr.train_step(_batch(tr))
    assert logs is not None and set(tr.balancer.last_norms) == {"mel", "adv/gen", "adv/feat"}
