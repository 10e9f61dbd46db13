"""Every conf/quantizer option: one _target_ into src/quantizer/<option>.py, wiring keys, interface."""

import re
from pathlib import Path

import pytest
import torch
from hydra.utils import instantiate
from omegaconf import OmegaConf

from src.loss.weighted import flatten_weights

CONF = Path(__file__).resolve().parents[2] / "conf"
OPTIONS = sorted(p.stem for p in (CONF / "quantizer").glob("*.yaml"))
# Aux-loss names are loss-weight keys: overridable from the command line (loss.weights.vq.commitment=2)
WEIGHT_KEY = re.compile(r"[a-z][a-z0-9_]*(/[a-z][a-z0-9_]*)*")


def loss_terms() -> set[str]:
    """The reconstruction and adversarial terms of conf/loss/*.yaml: an aux loss must not reuse their names."""
    terms = set()
    for path in (CONF / "loss").glob("*.yaml"):
        raw = OmegaConf.to_container(OmegaConf.load(path))
        adv = {t for t in flatten_weights(raw.get("weights") or {}) if t.startswith("adv/")}
        terms |= set(raw.get("reconstruction") or {}) | adv
    return terms


def aux_names(name: str) -> tuple[str, ...]:
    node = OmegaConf.load(CONF / "quantizer" / f"{name}.yaml")
    module, cls = node._target_.rsplit(".", 1)
    return getattr(__import__(module, fromlist=[cls]), cls).aux_loss_names


def test_all_options_present():
    assert set(OPTIONS) >= {
        "vq",
        "rvq",
        "dac_rvq",
        "factorized_vq",
        "fsq",
        "vae",
        "tanh",
        "wasserstein",
        "l2_norm",
        "identity",
    }


@pytest.mark.parametrize("name", OPTIONS)
def test_option_builds_and_follows_contract(name, repo_root):
    node = OmegaConf.load(repo_root / "conf" / "quantizer" / f"{name}.yaml")
    assert node._target_.startswith(f"src.quantizer.{name}."), "yaml name must match its module"
    assert OmegaConf.to_container(node)["input_dim"] in ("${latent_dim}", "${mul:${latent_dim},2}")
    assert "output_dim" in node
    cfg = OmegaConf.create({"latent_dim": 8, "quantizer": node})
    q = instantiate(cfg.quantizer, _convert_="all")
    assert q.input_dim == cfg.quantizer.input_dim and q.output_dim == cfg.quantizer.output_dim
    assert isinstance(q.is_discrete, bool) and isinstance(q.aux_loss_names, tuple)
    assert (q.n_codebooks > 0) == q.is_discrete and (q.codebook_size is None) != q.is_discrete
    assert all(WEIGHT_KEY.fullmatch(n) for n in q.aux_loss_names), q.aux_loss_names
    assert not set(q.aux_loss_names) & loss_terms(), "an aux loss must not reuse a conf/loss term name"
    out = q.train()(torch.randn(2, q.input_dim, 5))
    assert out.z_q.shape == (2, q.output_dim, 5)
    assert set(out.aux_losses) == set(q.aux_loss_names)
    assert (out.codes is not None) == q.is_discrete


@pytest.mark.parametrize("name", OPTIONS)
def test_wrong_output_dim_is_a_clear_error(name, repo_root):
    node = OmegaConf.load(repo_root / "conf" / "quantizer" / f"{name}.yaml")
    if name == "rvq":
        pytest.skip("rvq projects to any output_dim (XY-Tokenizer output_proj)")
    cfg = OmegaConf.create({"latent_dim": 8, "quantizer": node})
    cfg.quantizer.output_dim = 999
    with pytest.raises(Exception, match="output_dim"):
        instantiate(cfg.quantizer, _convert_="all")


def test_loss_weights_name_only_terms_something_makes():
    """Every weight in conf/loss/*.yaml names a reconstruction/adversarial term or a quantizer's aux loss."""
    known = loss_terms() | {n for name in OPTIONS for n in aux_names(name)}
    for path in (CONF / "loss").glob("*.yaml"):
        weights = flatten_weights(OmegaConf.to_container(OmegaConf.load(path)).get("weights") or {})
        assert set(weights) <= known, (path.name, sorted(set(weights) - known))
