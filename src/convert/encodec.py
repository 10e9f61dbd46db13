"""Official EnCodec 24 kHz checkpoints (Défossez et al. 2022, the `encodec` package) -> preset=encodec_24khz.

The published file (encodec_24khz-*.th) is a bare state dict, without a config: the layout itself (mono
input, SEANet ratios, 32 EMA codebooks of 1024 x 128) decides, and any other layout is an error. The
released model pads its causal convs by reflection, which the overrides ask for explicitly.
"""

from __future__ import annotations

from pathlib import Path

import torch

from src.convert import ConvertedCheckpoint
from src.convert.common import check_keys, expected_state, load_torch, rename, rename_weight_norm

PRESET = "encodec_24khz"
# the released model's padding (causal convs, reflect), which codeclab only builds when named explicitly
OVERRIDES = ["encoder.pad_mode=reflect_encodec", "decoder.pad_mode=reflect_encodec", "head.pad_mode=reflect_encodec"]
RATIOS = 4  # SEANet ratios [8, 5, 4, 2]: the decoder's last conv is model.{2 + 3 * RATIOS + 1}
HEAD = 2 + 3 * RATIOS + 1


def key_rules(to_codeclab: bool = True) -> list[tuple[str, str]]:
    """Official names (encoder.model.i.conv.conv, decoder.model.i.convtr.convtr, quantizer.vq.layers.k.
    _codebook.{inited, embed_avg}) <-> codeclab's (.conv, .convtr, head.conv.conv, quantizer.layers.k.
    codebook.{initted, embed_sum})."""
    q_off, q_on = r"^quantizer\.vq\.layers\.(\d+)\._codebook\.", r"^quantizer\.layers\.(\d+)\.codebook\."
    if to_codeclab:
        return [
            (rf"^decoder\.model\.{HEAD}\.conv\.conv\.", "head.conv.conv."),
            (r"^(.*)\.conv\.conv\.", r"\1.conv."),
            (r"^(.*)\.convtr\.convtr\.", r"\1.convtr."),
            (q_off + "inited$", r"quantizer.layers.\1.codebook.initted"),
            (q_off + "embed_avg$", r"quantizer.layers.\1.codebook.embed_sum"),
            (q_off, r"quantizer.layers.\1.codebook."),
        ]
    return [
        (r"^head\.conv\.conv\.", f"decoder.model.{HEAD}.conv.conv."),
        (r"^(.*)\.conv\.", r"\1.conv.conv."),
        (r"^(.*)\.convtr\.", r"\1.convtr.convtr."),
        (q_on + "initted$", r"quantizer.vq.layers.\1._codebook.inited"),
        (q_on + "embed_sum$", r"quantizer.vq.layers.\1._codebook.embed_avg"),
        (q_on, r"quantizer.vq.layers.\1._codebook."),
    ]


def to_codeclab(state: dict, expected: dict) -> dict:
    """Official EncodecModel state dict -> codeclab names. `inited` (1,) becomes the scalar `initted`;
    the codebooks' sampling-generator states (codeclab's own, no official counterpart) come from `expected`."""
    out = {rename_weight_norm(k): v for k, v in rename(state, key_rules()).items()}
    for key, value in list(out.items()):
        if key.endswith(".initted"):
            out[key] = value.reshape(()).bool()
    out.update({k: v for k, v in expected.items() if k.endswith("._extra_state")})
    return out


def check_layout(state: dict, source: str) -> None:
    """Refuse what is not the 24 kHz model (e.g. the 48 kHz stereo one, with time-group norm)."""
    stem = state.get("encoder.model.0.conv.conv.weight_v")
    if stem is None or tuple(stem.shape) != (32, 1, 7):
        raise ValueError(
            f"{source}: not the EnCodec 24 kHz layout (encoder.model.0.conv.conv.weight_v of "
            f"shape (32, 1, 7) expected, got {None if stem is None else tuple(stem.shape)}); "
            "only the 24 kHz mono model has a codeclab preset (encodec_24khz)"
        )


def convert(checkpoint: Path) -> ConvertedCheckpoint:
    """An `encodec` package state dict (torch.save of EncodecModel.state_dict()) -> encodec_24khz."""
    state = load_torch(checkpoint)
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise ValueError(
            f"{checkpoint}: not an EnCodec state dict (a dict of tensors, as "
            "encodec_24khz-*.th or torch.save(model.state_dict()) hold)"
        )
    check_layout(state, str(checkpoint))
    expected = expected_state(PRESET, OVERRIDES)
    converted = to_codeclab(state, expected)
    check_keys(converted, expected, str(checkpoint))
    return ConvertedCheckpoint(
        PRESET,
        list(OVERRIDES),
        converted,
        None,
        {"format": "encodec", "file": str(checkpoint), "model": "encodec_model_24khz"},
    )
