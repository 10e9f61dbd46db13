"""WavTokenizer -> codeclab. WavTokenizer is not on PyPI, so its checkpoint layout is rebuilt here from its
published configs and code (jishengpeng/WavTokenizer): the encoder and codebook with the `encodec` package's
modules (WavTokenizer's encoder/ is a copy of them: same classes, same names), the ConvNeXt stack with the
`vocos` package's VocosBackbone, the pos-net (LDM ResnetBlock / AttnBlock / GroupNorm) and the ISTFT head by
name and shape. Key coverage and shapes are tested for both frame rates; the encoder latents and codes are
compared numerically; the decoder (WavTokenizer's own pos-net backbone) cannot be run here."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
import yaml

from src.build import build_codec
from src.compose import compose_train_config
from tests.convert.official import perturb, require

require("encodec")
require("vocos")

RATIOS = {75: [8, 5, 4, 2], 40: [6, 5, 5, 4]}


def wt_config(rate: int) -> dict:
    """The model part of configs/wavtokenizer_smalldata_frame{75,40}_3s_nq1_code4096_dim512_kmeans200_attn.yaml."""
    hop = 320 if rate == 75 else 600
    fe = {
        "encodec_model": "encodec_24khz",
        "bandwidths": [6.6] * 4,
        "train_codebooks": True,
        "num_quantizers": 1,
        "dowmsamples": RATIOS[rate],
        "vq_bins": 4096,
        "vq_kmeans": 200,
    }
    return {
        "model": {
            "class_path": "decoder.experiment.WavTokenizer",
            "init_args": {
                "sample_rate": 24000,
                "feature_extractor": {"class_path": "decoder.feature_extractors.EncodecFeatures", "init_args": fe},
                "backbone": {
                    "class_path": "decoder.models.VocosBackbone",
                    "init_args": {
                        "input_channels": 512,
                        "dim": 768,
                        "intermediate_dim": 2304,
                        "num_layers": 12,
                        "adanorm_num_embeddings": 4,
                    },
                },
                "head": {
                    "class_path": "decoder.heads.ISTFTHead",
                    "init_args": {"dim": 768, "n_fft": 4 * hop, "hop_length": hop, "padding": "same"},
                },
            },
        }
    }


def seanet(official_imports, cls: str, ratios):
    modules = official_imports("encodec.modules")
    return getattr(modules, cls)(
        causal=False,
        n_residual_layers=1,
        norm="weight_norm",
        pad_mode="reflect",
        lstm=2,
        dimension=512,
        channels=1,
        n_filters=32,
        ratios=ratios,
        activation="ELU",
        kernel_size=7,
        residual_kernel_size=3,
        last_kernel_size=7,
        dilation_base=2,
        true_skip=False,
        compress=2,
    )


def pos_net_layout(dim: int) -> dict[str, torch.Tensor]:
    """WavTokenizer decoder/models.py: ResnetBlock x2, AttnBlock, ResnetBlock x2, GroupNorm (names, shapes)."""
    out = {}
    for i in (0, 1, 3, 4):
        for norm in ("norm1", "norm2"):
            out |= {
                f"backbone.pos_net.{i}.{norm}.weight": torch.randn(dim),
                f"backbone.pos_net.{i}.{norm}.bias": torch.randn(dim),
            }
        for conv in ("conv1", "conv2"):
            out |= {
                f"backbone.pos_net.{i}.{conv}.weight": torch.randn(dim, dim, 3),
                f"backbone.pos_net.{i}.{conv}.bias": torch.randn(dim),
            }
    out |= {"backbone.pos_net.2.norm.weight": torch.randn(dim), "backbone.pos_net.2.norm.bias": torch.randn(dim)}
    for conv in ("q", "k", "v", "proj_out"):
        out |= {
            f"backbone.pos_net.2.{conv}.weight": torch.randn(dim, dim, 1),
            f"backbone.pos_net.2.{conv}.bias": torch.randn(dim),
        }
    return out | {"backbone.pos_net.5.weight": torch.randn(dim), "backbone.pos_net.5.bias": torch.randn(dim)}


def official_checkpoint(official_imports, folder: Path, rate: int):
    """-> (encoder, quantizer) official modules; writes folder/model.ckpt and the config yaml."""
    config = wt_config(rate)
    args = config["model"]["init_args"]
    encoder = perturb(seanet(official_imports, "SEANetEncoder", RATIOS[rate])).eval()
    decoder = seanet(official_imports, "SEANetDecoder", [8, 5, 4, 2])  # built and saved, never used
    quantizer = (
        official_imports("encodec.quantization")
        .ResidualVectorQuantizer(dimension=512, n_q=1, bins=4096, kmeans_iters=200, decay=0.99, kmeans_init=True)
        .eval()
    )
    codebook = quantizer.vq.layers[0]._codebook
    codebook.inited.fill_(1)
    codebook.embed.copy_(torch.randn(4096, 512))
    backbone = official_imports("vocos.models").VocosBackbone(**args["backbone"]["init_args"])
    n_fft = args["head"]["init_args"]["n_fft"]
    state = {
        f"feature_extractor.encodec.{name}.{k}": v
        for name, m in (("encoder", encoder), ("decoder", decoder), ("quantizer", quantizer))
        for k, v in m.state_dict().items()
    }
    state |= {f"backbone.{k}": v for k, v in backbone.state_dict().items()} | pos_net_layout(768)
    state |= {
        "head.out.weight": torch.randn(n_fft + 2, 768),
        "head.out.bias": torch.randn(n_fft + 2),
        "head.istft.window": torch.hann_window(n_fft),
        "multiperioddisc.discriminators.0.convs.0.weight": torch.randn(32, 1, 5, 1),
        "melspec_loss.mel_spec.mel_scale.fb": torch.randn(513, 100),
    }
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"wavtokenizer_frame{rate}.yaml").write_text(yaml.safe_dump(config))
    torch.save({"state_dict": state, "global_step": 1}, folder / "model.ckpt")
    return encoder, quantizer, state


@pytest.mark.parametrize("rate", [75, 40])
def test_wavtokenizer_keys_shapes_and_codes(official_imports, tmp_path, rate):
    from src.convert.wavtokenizer import convert

    encoder, quantizer, state = official_checkpoint(official_imports, tmp_path, rate)
    converted = convert(tmp_path / "model.ckpt")
    assert converted.preset == f"wavtokenizer_{rate}hz"
    assert converted.source["dropped_not_codec"] == 2 + sum(
        k.startswith("feature_extractor.encodec.decoder.") for k in state
    )
    codec = build_codec(compose_train_config([f"preset={converted.preset}", *converted.overrides])).eval()
    codec.load_state_dict(converted.codec_state, strict=True)  # every key, every shape
    hop = 320 if rate == 75 else 600
    assert codec.hop_length == hop
    wav = 0.3 * torch.randn(2, 1, 12 * hop)
    with torch.no_grad():
        emb = encoder(wav)
        codes = quantizer.encode(emb, 24000 // hop)  # (n_q, B, F); no bandwidth: all (one) codebooks
        diff = (codec.encoder(wav) - emb).abs().max()
        print(f"wavtokenizer {rate} Hz: max |latent diff| {diff:.2e}")
        assert diff < 1e-5
        assert torch.equal(codec.encode(wav), codes.transpose(0, 1))


def test_wavtokenizer_refuses_missing_and_stray_keys(official_imports, tmp_path):
    from src.convert.wavtokenizer import convert

    _, _, state = official_checkpoint(official_imports, tmp_path, 75)
    del state["backbone.pos_net.2.q.bias"]
    state["backbone.pos_net.6.weight"] = torch.zeros(3)
    torch.save({"state_dict": state}, tmp_path / "model.ckpt")
    with pytest.raises(ValueError, match="missing.*decoder.pos_net.2.q.bias.*left over.*decoder.pos_net.6.weight"):
        convert(tmp_path / "model.ckpt")
