"""WavTokenizer (Ji et al. 2024) Lightning checkpoints -> codeclab preset=wavtokenizer_75hz / _40hz."""

from __future__ import annotations

import re
from pathlib import Path

import torch
from torch import Tensor

from src.convert import ConvertedCheckpoint
from src.convert._shared2 import (
    check_against,
    fill_bookkeeping,
    find_weights,
    load_weights,
    read_yaml,
    remap,
    split_prefixes,
)
from src.convert.common import expected_state, rename_weight_norm
from src.convert.vocos import vocos_rule

PRESETS = {(8, 5, 4, 2): "wavtokenizer_75hz", (6, 5, 5, 4): "wavtokenizer_40hz"}
ENCODEC = "feature_extractor.encodec."
# in the checkpoint but not the codec: the EnCodec decoder WavTokenizer never calls, the training-only
# discriminators and loss buffers (WavTokenizer's own from_pretrained0802 drops the same)
NOT_CODEC = (
    ENCODEC + "decoder.",
    "multiperioddisc.",
    "multiresddisc.",
    "dac.",
    "dacdiscriminator.",
    "melspec_loss.",
    "disc_loss.",
    "gen_loss.",
    "feat_matching_loss.",
)
POS_NET_RES = {"norm1": 0, "conv1": 2, "norm2": 3, "conv2": 6}  # LDM ResnetBlock -> codeclab's Sequential
CODEBOOK = {"inited": "initted", "cluster_size": "cluster_size", "embed": "embed", "embed_avg": "embed_sum"}


def find_config(checkpoint: Path) -> Path:
    """The WavTokenizer training config (configs/wavtokenizer_*.yaml) beside the checkpoint: the one yaml
    there with model.init_args.feature_extractor."""
    folder = checkpoint if checkpoint.is_dir() else checkpoint.parent
    found = [
        p
        for p in sorted(folder.glob("*.yaml"))
        if ((read_yaml(p) or {}).get("model") or {}).get("init_args", {}).get("feature_extractor")
    ]
    if len(found) != 1:
        raise FileNotFoundError(
            f"{folder}: need exactly one WavTokenizer config yaml (configs/wavtokenizer_*.yaml "
            f"from its repository) beside the checkpoint; found {[p.name for p in found]}"
        )
    return found[0]


def wavtokenizer_overrides(config: dict, path: Path) -> tuple[str, list[str]]:
    args = config["model"]["init_args"]
    fe, bb, head = (args[k]["init_args"] for k in ("feature_extractor", "backbone", "head"))
    ratios = tuple(fe.get("dowmsamples", (6, 5, 5, 4)))  # (sic) WavTokenizer's spelling; its default
    if ratios not in PRESETS:
        raise ValueError(f"{path}: dowmsamples={list(ratios)}; codeclab has presets for {list(PRESETS)}")
    if fe.get("num_quantizers", 1) != 1:
        raise ValueError(f"{path}: num_quantizers={fe['num_quantizers']}; the presets hold one codebook")
    if bb["input_channels"] != 512 or head["dim"] != bb["dim"]:
        raise ValueError(f"{path}: backbone.input_channels must be 512 (the SEANet latent) and head.dim = dim")
    overrides = [
        f"sample_rate={args.get('sample_rate', 24000)}",
        f"quantizer.codebook_size={fe.get('vq_bins', 16384)}",
        f"quantizer.kmeans_iters={fe.get('vq_kmeans', 800)}",
        f"decoder.dim={bb['dim']}",
        f"decoder.intermediate_dim={bb['intermediate_dim']}",
        f"decoder.num_layers={bb['num_layers']}",
        f"decoder.adanorm_num_embeddings={bb.get('adanorm_num_embeddings') or 'null'}",
        f"head.n_fft={head['n_fft']}",
        f"head.padding={head.get('padding', 'same')}",
    ]
    return PRESETS[ratios], overrides


def _rule(key: str, value: Tensor):
    if key.startswith(ENCODEC + "encoder."):
        key = "encoder." + key[len(ENCODEC + "encoder.") :]
        return rename_weight_norm(key.replace(".conv.conv.", ".conv.")), value
    m = re.fullmatch(re.escape(ENCODEC) + r"quantizer\.vq\.layers\.(\d+)\._codebook\.(\w+)", key)
    if m and m.group(2) in CODEBOOK:
        value = value.reshape(()).bool() if m.group(2) == "inited" else value
        return f"quantizer.layers.{m.group(1)}.codebook.{CODEBOOK[m.group(2)]}", value
    m = re.fullmatch(r"backbone\.pos_net\.(\d+)\.(norm1|conv1|norm2|conv2)\.(weight|bias)", key)
    if m:
        return f"decoder.pos_net.{m.group(1)}.block.{POS_NET_RES[m.group(2)]}.{m.group(3)}", value
    return vocos_rule(key, value)  # the rest of the decoder is a Vocos backbone + ISTFT head


def convert(checkpoint: Path) -> ConvertedCheckpoint:
    """checkpoint: WavTokenizer's Lightning .ckpt ({"state_dict": ...}), with its config yaml beside it."""
    checkpoint = Path(checkpoint)
    config_path = find_config(checkpoint)
    config = read_yaml(config_path)
    preset, overrides = wavtokenizer_overrides(config, config_path)
    weights = find_weights(checkpoint, ("model.ckpt", "last.ckpt"))
    state, dropped = split_prefixes(load_weights(weights), NOT_CODEC)
    n_fft = int(config["model"]["init_args"]["head"]["init_args"]["n_fft"])
    window = state.pop("head.istft.window", None)
    if window is None or window.shape != (n_fft,) or not torch.allclose(window, torch.hann_window(n_fft)):
        raise ValueError(f"{weights}: head.istft.window is missing or not a periodic Hann window of {n_fft}")
    expected = expected_state(preset, overrides, meta=True)
    codec_state = fill_bookkeeping(remap(state, _rule, str(weights)), expected)
    check_against(codec_state, expected, str(weights))
    return ConvertedCheckpoint(
        preset,
        overrides,
        codec_state,
        None,
        {
            "format": "wavtokenizer",
            "checkpoint": str(checkpoint),
            "config": str(config_path),
            "dropped_not_codec": len(dropped),
        },
    )
