"""Published parameter counts of the WavTokenizer / Vocos presets, and every vocos-area yaml instantiates."""

import math

import pytest
import torch
from hydra.utils import instantiate
from omegaconf import OmegaConf

from src.compose import compose_train_config  # also registers the resolvers used by conf/

# preset -> (decoder params, head params), trainable, from the WavTokenizer / Vocos releases
PUBLISHED = {
    "wavtokenizer_75hz": (61_961_472, 985_858),
    "wavtokenizer_40hz": (61_961_472, 1_847_138),
    "vocos": (13_005_312, 526_338),
}
MINE = {"decoder": ["vocos"], "head": ["istft", "imdct_symexp", "imdct_cos"], "encoder": ["mel"]}


def n_trainable(module: torch.nn.Module) -> int:
    return sum(p.numel() for p in module.parameters() if p.requires_grad)


def compose(repo_root, choices: dict, **top):
    """A composed-config stand-in: top-level keys and the chosen group yamls, then `top` merged on.

    The quantizer node only carries the wiring keys every quantizer yaml has (input_dim/output_dim).
    """
    cfg = OmegaConf.create(
        {
            "sample_rate": 24000,
            "channels": 1,
            "latent_dim": 64,
            "quantizer": {"input_dim": "${latent_dim}", "output_dim": "${.input_dim}"},
        }
    )
    for group, option in choices.items():
        cfg[group] = OmegaConf.load(repo_root / "conf" / group / f"{option}.yaml")
    return OmegaConf.merge(cfg, top)


@pytest.mark.parametrize("preset", sorted(PUBLISHED))
def test_preset_matches_published_parameter_counts(preset):
    cfg = compose_train_config([f"preset={preset}"])
    assert cfg.decoder._target_ == "src.decoder.vocos.VocosDecoder" and cfg.head._target_ == "src.head.istft.ISTFTHead"
    with torch.device("meta"):  # counts only: no memory, no init cost
        decoder, head = instantiate(cfg.decoder), instantiate(cfg.head)
    assert (n_trainable(decoder), n_trainable(head)) == PUBLISHED[preset]
    assert head.in_dim == decoder.out_dim and decoder.latent_dim == cfg.latent_dim


@pytest.mark.parametrize("preset", sorted(PUBLISHED))
def test_preset_hops_agree_and_header(repo_root, preset):
    path = repo_root / "experiments" / "preset" / f"{preset}.yaml"
    text = path.read_text()
    assert text.startswith("# @package _global_") and ("Ji et al. 2024" in text or "Siuzdak 2023" in text)
    cfg = compose_train_config([f"preset={preset}"])
    enc_hop = cfg.encoder.get("hop_length") or math.prod(cfg.encoder.ratios)
    assert enc_hop == cfg.head.hop_length


@pytest.mark.parametrize("group, option", [(g, o) for g, opts in MINE.items() for o in opts])
def test_every_yaml_instantiates_with_its_defaults(repo_root, group, option):
    choices = {"decoder": "vocos", "head": "istft"} | {group: option}
    cfg = compose(repo_root, choices, latent_dim=100)
    assert cfg[group]._target_ == f"src.{group}.{option}." + cfg[group]._target_.split(".")[-1]
    with torch.device("meta"):
        module = instantiate(cfg[group])
    if group == "head":
        assert module.upsample == cfg.head.hop_length and module.in_dim == cfg.decoder.dim
    if group == "encoder":
        assert module.latent_dim == 100 and module.hop_length == 256


def test_vocos_chain_from_configs_returns_the_input_length(repo_root):
    """mel encoder -> (identity) -> small vocos decoder -> each head: T samples in, T samples out."""
    tiny = {"dim": 32, "intermediate_dim": 48, "num_layers": 1, "num_groups": 8, "adanorm_num_embeddings": 2}
    for head in MINE["head"]:
        cfg = compose(
            repo_root,
            {"encoder": "mel", "decoder": "vocos", "head": head},
            latent_dim=100,
            decoder=tiny,
            head={"hop_length": 256},
        )
        encoder, decoder, head_m = (instantiate(cfg[g]) for g in ("encoder", "decoder", "head"))
        wav = 0.1 * torch.randn(2, 1, 4 * 256)
        out = head_m(decoder(encoder(wav), bandwidth_id=torch.tensor([1, 0])))
        assert out.shape == wav.shape and encoder.hop_length == decoder.upsample * head_m.upsample


@pytest.mark.slow  # builds the real 62M-parameter WavTokenizer decoder on CPU
def test_wavtokenizer_decoder_and_head_full_size_forward(repo_root):
    cfg = compose_train_config(["preset=wavtokenizer_75hz"])
    decoder, head = instantiate(cfg.decoder).eval(), instantiate(cfg.head)
    with torch.no_grad():
        wav = head(decoder(torch.randn(1, 512, 75)))  # one second of 75 Hz frames
    assert wav.shape == (1, 1, 24000) and torch.isfinite(wav).all()
