"""experiments/ablation/<grid>.yaml: well-formed multirun grids whose jobs compose to what each grid claims.

Composition is checked twice: against a stub conf tree (the real train.yaml with placeholder options, so the
Hydra mechanics of each grid are tested in any checkout) and against the real conf/ (skipped for a grid
until every option it names exists there).
"""

import math
import shutil
from pathlib import Path

import pytest
import yaml
from hydra import compose, initialize_config_dir
from hydra._internal.core_plugins.basic_sweeper import BasicSweeper
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.errors import MissingConfigException
from omegaconf import OmegaConf

from src.compose import CONF_DIR, REPO_ROOT

GRID_DIR = REPO_ROOT / "experiments" / "ablation"
BASIC_GRIDS = {
    "quantizers": 5,
    "discriminators": 4,
    "heads": 4,
    "bigcodec_ablation": 4,
    "codebook_size": 3,
    "bottlenecks": 4,
}  # grid -> number of jobs
OPTUNA_GRIDS = ("optuna_lr_weights",)
SPECTRAL_HEADS = ("istft", "imdct_symexp", "imdct_cos")

# Placeholder options for the stub tree: group -> option -> extra keys (the keys the grids set or sweep).
STUB_OPTIONS = {
    "data": {"demo": {}},
    "encoder": {o: {"n_filters": 32, "ngf": 48, "lstm": 2} for o in ("seanet", "dac", "oobleck", "bigcodec", "mel")},
    "decoder": {
        o: {"n_filters": 32, "channels": 1536, "lstm": 2} for o in ("seanet", "dac", "oobleck", "bigcodec", "vocos")
    },
    "head": {o: {} for o in ("waveform", *SPECTRAL_HEADS)},  # experiments/head/*.yaml extend these
    "quantizer": {
        "rvq": {"n_codebooks": 8, "codebook_size": 1024, "codebook_dim": 8},
        "dac_rvq": {"n_codebooks": 9, "codebook_size": 1024, "codebook_dim": 8},
        "vq": {"codebook_size": 4096, "codebook_dim": None},
        "factorized_vq": {"codebook_size": 8192, "codebook_dim": 8},
        "fsq": {"levels": [8, 5, 5, 5]},
        **{o: {} for o in ("vae", "tanh", "wasserstein", "l2_norm", "identity")},
    },
    "optim": {"adam": {"generator": {"lr": 1e-4}, "discriminator": {"lr": 1e-4}}},
    "trainer": {"default": {}},
    "logger": {"default": {}},
}


def grid_files() -> list[Path]:
    return sorted(GRID_DIR.glob("*.yaml"))


def load_grid(name: str) -> dict:
    return yaml.safe_load((GRID_DIR / f"{name}.yaml").read_text())


def sweep_params(name: str) -> list[str]:
    """hydra.sweeper.params as `key=value` override strings, as the sweeper builds them."""
    params = load_grid(name)["hydra"]["sweeper"]["params"]
    return [f"{k}={v}" for k, v in params.items()]


def sweep_jobs(name: str) -> list[list[str]]:
    """The override list of every job the basic sweeper launches for this grid."""
    overrides = OverridesParser.create().parse_overrides(sweep_params(name))
    (batch,) = BasicSweeper.split_arguments(overrides, None)
    return batch


def lookup(table, key):
    """Same resolver as the one src/config.py registers (see docs/sweeps.md, "The heads grid")."""
    if key not in table:
        raise KeyError(f"lookup: {key!r} is not one of {sorted(table)}")
    return table[key]


if not OmegaConf.has_resolver("lookup"):
    OmegaConf.register_new_resolver("lookup", lookup)


def test_all_grids_are_shipped():
    assert sorted(p.stem for p in grid_files()) == sorted([*BASIC_GRIDS, *OPTUNA_GRIDS])


@pytest.mark.parametrize("path", grid_files(), ids=lambda p: p.stem)
def test_grid_header_mode_and_question(path):
    text = path.read_text()
    assert text.splitlines()[0] == "# @package _global_", f"{path.name}: first line must be the package header"
    comments = [ln for ln in text.splitlines()[1:4] if ln.startswith("#")]
    assert any("?" in ln for ln in comments), f"{path.name}: open with a comment naming the question it answers"
    cfg = yaml.safe_load(text)
    assert cfg["hydra"]["mode"] == "MULTIRUN" and cfg["hydra"]["sweeper"]["params"]
    # Hydra resolves the sweeper node several times while instantiating it, so an interpolation (even
    # an escaped one) in the params does not reach the jobs as written.
    assert "${" not in str(cfg["hydra"]["sweeper"]["params"]), f"{path.name}: no interpolation in params"


@pytest.mark.parametrize("name", sorted(BASIC_GRIDS))
def test_basic_grid_params_are_discrete_sweeps(name):
    overrides = OverridesParser.create().parse_overrides(sweep_params(name))
    assert any(o.is_sweep_override() for o in overrides), f"{name}: nothing is swept"
    for override in overrides:  # a non-discrete sweep (range, interval) needs another sweeper
        assert not override.is_sweep_override() or override.is_discrete_sweep(), f"{name}: {override.input_line}"
    assert len(sweep_jobs(name)) == BASIC_GRIDS[name]


def test_discriminator_sweep_yields_lists_not_strings():
    parser = OverridesParser.create()
    values = [parser.parse_override(job[0]).value() for job in sweep_jobs("discriminators")]
    assert values == [["mpd", "mrd"], ["mpd", "msstft"], ["multiband", "mpd"], ["msd", "mpd"]]


def test_optuna_grid_params_are_optuna_distributions():
    from hydra_plugins.hydra_optuna_sweeper._impl import create_optuna_distribution_from_override

    cfg = load_grid("optuna_lr_weights")
    assert {"override /hydra/sweeper": "optuna"} in cfg["defaults"]
    params = cfg["hydra"]["sweeper"]["params"]
    assert set(params) == {"optim.generator.lr", "loss.weights.mel", "loss.weights.adv.gen", "loss.weights.adv.feat"}
    dists = {
        o.get_key_element(): create_optuna_distribution_from_override(o)
        for o in OverridesParser.create().parse_overrides([f"{k}={v}" for k, v in params.items()])
    }
    lr = dists["optim.generator.lr"]
    assert type(lr).__name__ == "LogUniformDistribution" and lr.low < 1e-4 < lr.high  # DAC's lr inside


# ------------------------------------------------------------------ composition against a stub conf tree
@pytest.fixture(scope="module")
def stub_conf(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("stub_conf")
    shutil.copy(CONF_DIR / "train.yaml", root / "train.yaml")
    shutil.copytree(CONF_DIR / "loss", root / "loss")
    for group, options in STUB_OPTIONS.items():
        (root / group).mkdir()
        for option, extra in options.items():
            body = {"_target_": f"stub.{group}.{option}", **extra}
            (root / group / f"{option}.yaml").write_text(yaml.safe_dump(body))
    (root / "discriminator").mkdir()
    for option in sorted(p.stem for p in (CONF_DIR / "discriminator").glob("*.yaml")):
        (root / "discriminator" / f"{option}.yaml").write_text(yaml.safe_dump({option: {"_target_": "stub"}}))
    return root


def compose_stub(conf: Path, overrides: list[str]):
    with initialize_config_dir(config_dir=str(conf), version_base="1.3"):
        return compose(
            "train",
            return_hydra_config=True,
            overrides=[*overrides, f"hydra.searchpath=[file://{REPO_ROOT / 'experiments'}]"],
        )


def bits_per_frame(q) -> float:
    if "levels" in q:
        return sum(math.log2(v) for v in q["levels"])
    return q.get("n_codebooks", 1) * math.log2(q["codebook_size"])


def test_quantizers_grid_matches_bitrate(stub_conf):
    matched = sorted(p.stem for p in (GRID_DIR / "matched_bitrate").glob("*.yaml"))
    assert sorted(job[0].split("=")[1] for job in sweep_jobs("quantizers")) == matched
    bits = {}
    for job in sweep_jobs("quantizers"):
        cfg = compose_stub(stub_conf, ["ablation=quantizers", *job])
        assert cfg.hydra.runtime.choices.quantizer == job[0].split("=")[1]  # the appended file picks it
        bits[cfg.hydra.runtime.choices.quantizer] = bits_per_frame(cfg.quantizer)
    assert sorted(bits) == sorted(["rvq", "dac_rvq", "vq", "factorized_vq", "fsq"])
    assert max(bits.values()) - min(bits.values()) < 0.25, bits  # "roughly matched": within a quarter bit
    assert min(bits.values()) >= 12.0
    # without the sweep (a plain compose, e.g. preset x ablation checks) the grid leaves the quantizer alone
    assert compose_stub(stub_conf, ["ablation=quantizers", "quantizer=vae"]).quantizer._target_ == "stub.quantizer.vae"


def test_heads_grid_pairs_each_head_with_its_decoder(stub_conf):
    for encoder in ("seanet", "dac"):
        for job in sweep_jobs("heads"):
            cfg = compose_stub(stub_conf, ["ablation=heads", f"encoder={encoder}", *job])
            choices = cfg.hydra.runtime.choices
            expected = "vocos" if choices.head in SPECTRAL_HEADS else encoder  # waveform: the mirror decoder
            assert choices.decoder == expected, (encoder, job)
    cfg = compose_stub(stub_conf, ["ablation=heads", "head=waveform", "decoder=oobleck"])
    assert cfg.hydra.runtime.choices.decoder == "oobleck"  # the command line still wins


def test_discriminators_grid_composes_lists(stub_conf):
    got = [
        list(compose_stub(stub_conf, ["ablation=discriminators", *job]).discriminator)
        for job in sweep_jobs("discriminators")
    ]
    assert got == [["mpd", "mrd"], ["mpd", "msstft"], ["multiband", "mpd"], ["msd", "mpd"]]


def test_codebook_size_and_bottleneck_grids(stub_conf):
    sizes = []
    for job in sweep_jobs("codebook_size"):
        cfg = compose_stub(stub_conf, ["ablation=codebook_size", *job])
        assert cfg.hydra.runtime.choices.quantizer == "vq"
        sizes.append(cfg.quantizer.codebook_size)
    assert sizes == [1024, 4096, 8192]
    chosen = [
        compose_stub(stub_conf, ["ablation=bottlenecks", *job]).hydra.runtime.choices.quantizer
        for job in sweep_jobs("bottlenecks")
    ]
    assert chosen == ["vae", "tanh", "wasserstein", "l2_norm"]


def test_bigcodec_grid_ties_decoder_lstm_to_encoder(stub_conf):
    cells = set()
    for job in sweep_jobs("bigcodec_ablation"):
        cfg = compose_stub(stub_conf, ["ablation=bigcodec_ablation", *job])
        assert cfg.hydra.runtime.choices.encoder == "bigcodec" and cfg.sample_rate == 16000
        assert cfg.decoder.lstm == cfg.encoder.lstm and cfg.decoder.channels == 32 * cfg.encoder.ngf
        cells.add((cfg.encoder.ngf, cfg.encoder.lstm))
    assert cells == {(16, 2), (8, 2), (16, 0), (8, 0)}


def test_optuna_grid_composes_with_tied_learning_rates(stub_conf):
    cfg = compose_stub(stub_conf, ["ablation=optuna_lr_weights", "optim.generator.lr=3e-4"])
    assert cfg.hydra.sweeper._target_.endswith("OptunaSweeper") and cfg.hydra.mode.name == "MULTIRUN"
    assert cfg.optim.discriminator.lr == 3e-4


# ------------------------------------------------------------------ composition against the real conf/
@pytest.mark.parametrize("name", sorted(BASIC_GRIDS))
def test_every_job_builds_with_the_real_configs(name):
    import torch

    from src.build import build_codec, build_discriminators
    from src.compose import compose_train_config

    for job in sweep_jobs(name):
        try:
            cfg = compose_train_config([f"ablation={name}", *job])
        except MissingConfigException as err:
            pytest.skip(f"{name}: an option is not in conf/ yet ({str(err).splitlines()[0]})")
        with torch.device("meta"):
            codec, discs = build_codec(cfg), build_discriminators(cfg)
        assert codec.hop_length > 0 and len(discs) >= 1, job
