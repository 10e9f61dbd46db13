"""Every `preset=X ablation=Y` pair composes and builds (DESIGN.md: a preset pins only what the grids do not
swap), experiments/<group>/*.yaml extend a conf/<group>/ option, and a few pairs train one real step.

Presets select per-preset group options (experiments/<group>/<preset>.yaml) instead of merging loose values
into whatever option a grid swaps in, so a grid's `quantizer=vq` replaces the whole node.
"""

from pathlib import Path

import pytest
import torch
import yaml
from hydra import compose, initialize_config_dir
from hydra.errors import HydraException
from omegaconf.errors import OmegaConfBaseException

from src.build import build_codec, build_discriminators, build_losses, build_weights
from src.compose import CONF_DIR, REPO_ROOT, compose_train_config
from tests.reporting.test_ablation_grids import BASIC_GRIDS, sweep_jobs

EXPERIMENTS = REPO_ROOT / "experiments"
PRESETS = sorted(p.stem for p in (EXPERIMENTS / "preset").glob("*.yaml"))
FAST_PRESETS = ("tiny", "vocos", "demo")  # SEANet, mel vocoder, spectral encoder; the others are slow (big models)
VARIANT_GROUPS = ("encoder", "quantizer", "decoder", "head", "discriminator")


def variants() -> list[Path]:
    return sorted(p for g in VARIANT_GROUPS for p in (EXPERIMENTS / g).glob("*.yaml"))


@pytest.mark.parametrize(
    "preset", [p if p in FAST_PRESETS else pytest.param(p, marks=pytest.mark.slow) for p in PRESETS]
)
def test_preset_builds_with_every_job_of_every_basic_grid(preset):
    failures = []
    for grid in sorted(BASIC_GRIDS):
        for job in sweep_jobs(grid):
            try:
                cfg = compose_train_config([f"preset={preset}", f"ablation={grid}", *job])
                with torch.device("meta"):
                    codec, discs = build_codec(cfg), build_discriminators(cfg)
                # the Trainer's loss weights: a preset's weight with no term in this job is refused there
                recon, adversarial, _ = build_losses(cfg, has_discriminators=bool(discs))
                build_weights(cfg, recon, adversarial, codec.quantizer.aux_loss_names)
            except (HydraException, OmegaConfBaseException, TypeError, ValueError, KeyError) as err:
                # collect every broken pair, then fail once with the list
                failures.append(f"ablation={grid} {' '.join(job)}: {str(err).strip().splitlines()[0][:200]}")
                continue
            if grid == "discriminators":  # the grid's list replaces the preset's discriminators
                assert sorted(discs) == sorted(yaml.safe_load(job[0].split("=", 1)[1].replace(",", ", ")))
            assert codec.hop_length > 0 and len(discs) >= 1
    assert not failures, f"preset={preset}:\n" + "\n".join(failures)


def test_presets_list_only_fast_ones_as_fast():
    assert set(FAST_PRESETS) <= set(PRESETS) and len(PRESETS) == 12


@pytest.mark.parametrize("path", variants(), ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_variant_extends_an_option_of_its_group(path):
    group, body = path.parent.name, yaml.safe_load(path.read_text())
    options = {p.stem for p in (CONF_DIR / group).glob("*.yaml")}
    assert path.stem not in options, f"{path}: shadows conf/{group}/{path.stem}.yaml; rename the variant"
    assert path.read_text().startswith("# "), f"{path}: open with a comment naming the preset/paper it follows"
    defaults = body.get("defaults")
    assert isinstance(defaults, list) and defaults[-1] == "_self_", f"{path}: defaults must end with _self_"
    (base,) = [d for d in defaults if d != "_self_"]
    assert base in options, f"{path}: defaults must name an option of conf/{group}/ ({sorted(options)})"
    assert "_target_" not in str(body), f"{path}: the extended option carries the _target_"
    if group == "discriminator":  # multi-select options wrap their body under the discriminator's key
        assert set(body) == {"defaults", base}, f"{path}: put the values under `{base}:`"


# ------------------------------------------------------------------ one real training step
TRAIN_OVERRIDES = [  # toy data (tests/training/conf), no logging, no validation: one optimiser step only
    "data=toy",
    "data.segment_seconds=0.2",
    "trainer.cpu=true",
    "trainer.max_steps=1",
    "trainer.val_metrics=[]",
    "trainer.log_every=1",
    "trainer.val_every=0",
    "trainer.demo_every=0",
    "trainer.checkpoint_every=1000",
    "logger.wandb.enabled=false",
    "logger.tensorboard.enabled=false",
    "logger.progress_bar=false",
]


def train_config(run_dir: Path, overrides: list[str]):
    searchpath = f"hydra.searchpath=[file://{EXPERIMENTS},file://{REPO_ROOT / 'tests' / 'training' / 'conf'}]"
    with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
        return compose("train", overrides=[*overrides, *TRAIN_OVERRIDES, f"run_dir={run_dir}", searchpath])


@pytest.mark.slow  # ~5-15 s per grid on one core (full-width discriminators in the discriminators grid)
@pytest.mark.parametrize("grid", sorted(BASIC_GRIDS))
def test_tiny_preset_trains_one_step_with_first_job(tmp_path, grid):
    from src.build import build_trainer

    job = sweep_jobs(grid)[0]
    cfg = train_config(tmp_path, ["preset=tiny", f"ablation={grid}", *job])
    trainer = build_trainer(cfg)
    before = {k: v.detach().clone() for k, v in trainer.codec_raw.named_parameters()}
    logs = trainer.train_step([next(trainer._batches())])
    assert logs is not None, f"{grid} {job}: the step was skipped (non-finite loss)"
    assert all(torch.isfinite(v).all() for v in logs.values()), logs
    moved = [k for k, v in trainer.codec_raw.named_parameters() if not torch.equal(v.detach(), before[k])]
    assert moved, f"{grid} {job}: no generator parameter changed after one step"
