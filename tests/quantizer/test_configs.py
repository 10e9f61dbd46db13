"""Every conf/quantizer option: one _target_ into src/quantizer/<option>.py, wiring keys, interface."""

from pathlib import Path

import pytest
import torch
from hydra.utils import instantiate
from omegaconf import OmegaConf

OPTIONS = sorted(
    p.stem for p in (Path(__file__).resolve().parents[2] / "conf" / "quantizer").glob("*.yaml")
)


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
    assert set(q.aux_loss_names) <= {"vq/commitment", "vq/codebook", "kl", "mmd"}
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
