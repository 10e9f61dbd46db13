"""Official DAC checkpoints (Kumar et al. 2023, descript-audio-codec) -> codeclab's dac_* presets.

`weights.pth` = {"state_dict": ..., "metadata": {"kwargs": DAC(**kwargs)}}. The kwargs decide the preset;
the released decoder drops one sample per odd stride, which `decoder.exact_odd_strides=false` reproduces.
"""

from __future__ import annotations

from pathlib import Path

from src.convert import ConvertedCheckpoint
from src.convert.common import check_keys, expected_state, load_torch, rename, rename_weight_norm

# DAC.__init__'s defaults (descript-audio-codec dac/model/dac.py), for kwargs a checkpoint leaves out
DEFAULTS = {
    "encoder_dim": 64,
    "encoder_rates": [2, 4, 8, 8],
    "latent_dim": None,
    "decoder_dim": 1536,
    "decoder_rates": [8, 8, 4, 2],
    "n_codebooks": 9,
    "codebook_size": 1024,
    "codebook_dim": 8,
    "quantizer_dropout": False,
    "sample_rate": 44100,
}
# the released models (conf/final/{16,24,44}khz.yml); n_codebooks may differ (then it is an override)
PRESETS = {
    "dac_16khz": {
        "encoder_rates": [2, 4, 5, 8],
        "decoder_rates": [8, 5, 4, 2],
        "sample_rate": 16000,
        "n_codebooks": 12,
    },
    "dac_24khz": {
        "encoder_rates": [2, 4, 5, 8],
        "decoder_rates": [8, 5, 4, 2],
        "sample_rate": 24000,
        "n_codebooks": 32,
    },
    "dac_44khz": {"encoder_rates": [2, 4, 8, 8], "decoder_rates": [8, 8, 4, 2], "sample_rate": 44100, "n_codebooks": 9},
}
SHARED = {"encoder_dim": 64, "latent_dim": 1024, "decoder_dim": 1536, "codebook_size": 1024, "codebook_dim": 8}


def official_kwargs(kwargs: dict) -> dict:
    """The checkpoint's kwargs completed with DAC's defaults (latent_dim resolved as DAC does)."""
    full = {**DEFAULTS, **kwargs}
    if full["latent_dim"] is None:
        full["latent_dim"] = full["encoder_dim"] * 2 ** len(full["encoder_rates"])
    dims = full["codebook_dim"]
    if isinstance(dims, (list, tuple)):  # DAC allows one dim per codebook; codeclab's presets use one for all
        if len(set(dims)) != 1:
            raise ValueError(f"DAC kwargs codebook_dim={dims}: per-codebook dimensions are not supported")
        full["codebook_dim"] = dims[0]
    return full


def choose_preset(kwargs: dict, source: str) -> tuple[str, list[str]]:
    """DAC kwargs -> (preset, overrides). An architecture no preset has is an error naming the kwargs."""
    full = official_kwargs(kwargs)
    arch = {k: full[k] for k in (*SHARED, "encoder_rates", "decoder_rates", "sample_rate")}
    for name, preset in PRESETS.items():
        want = {**SHARED, **{k: v for k, v in preset.items() if k != "n_codebooks"}}
        if {k: list(v) if isinstance(v, tuple) else v for k, v in arch.items()} == want:
            overrides = ["decoder.exact_odd_strides=false"]  # the released decoder's output length
            if int(full["n_codebooks"]) != preset["n_codebooks"]:
                overrides.append(f"quantizer.n_codebooks={int(full['n_codebooks'])}")
            return name, overrides
    raise ValueError(
        f"{source}: DAC kwargs {arch} match no codeclab preset (known: "
        + "; ".join(f"{n}: {dict(SHARED, **p)}" for n, p in PRESETS.items())
        + ")"
    )


def key_rules(n_blocks: int, to_codeclab: bool = True) -> list[tuple[str, str]]:
    """Regex rules between the official names and codeclab's (n_blocks = len(decoder_rates)).

    Official: encoder.block.{i}.block.{j}, decoder.model.{0 | i.block.j | n+1 (Snake) | n+2 (conv) | n+3
    (tanh)}, quantizer.quantizers.{k}. codeclab: encoder.block.{i}.{j}, decoder.block.{i}.{j}, head.act,
    head.conv.conv, quantizer.layers.{k}."""
    if to_codeclab:
        return [
            (r"^encoder\.block\.(\d+)\.block\.", r"encoder.block.\1."),
            (r"^decoder\.model\.0\.", "decoder.block.0."),
            (r"^decoder\.model\.(\d+)\.block\.", r"decoder.block.\1."),
            (rf"^decoder\.model\.{n_blocks + 1}\.", "head.act."),
            (rf"^decoder\.model\.{n_blocks + 2}\.", "head.conv.conv."),
            (r"^quantizer\.quantizers\.", "quantizer.layers."),
        ]
    return [
        (r"^encoder\.block\.(\d+)\.(\d+)\.", r"encoder.block.\1.block.\2."),
        (r"^decoder\.block\.(\d+)\.(\d+)\.", r"decoder.model.\1.block.\2."),
        (r"^decoder\.block\.0\.", "decoder.model.0."),
        (r"^head\.act\.", f"decoder.model.{n_blocks + 1}."),
        (r"^head\.conv\.conv\.", f"decoder.model.{n_blocks + 2}."),
        (r"^quantizer\.layers\.", "quantizer.quantizers."),
    ]


def to_codeclab(state: dict, n_blocks: int) -> dict:
    """Official DAC generator state dict -> codeclab Codec names (weight norm as parametrizations)."""
    renamed = rename(state, key_rules(n_blocks))
    return {rename_weight_norm(k): v for k, v in renamed.items()}


def convert(checkpoint: Path) -> ConvertedCheckpoint:
    """A descript-audio-codec weights.pth -> the codeclab dac_* preset it describes."""
    data = load_torch(checkpoint)
    if not isinstance(data, dict) or "state_dict" not in data or "kwargs" not in data.get("metadata", {}):
        raise ValueError(
            f"{checkpoint}: not a DAC weights file (expected {{'state_dict', 'metadata': "
            "{'kwargs'}}, as DAC.save / the published weights.pth hold)"
        )
    kwargs = dict(data["metadata"]["kwargs"])
    preset, overrides = choose_preset(kwargs, str(checkpoint))
    state = to_codeclab(data["state_dict"], len(official_kwargs(kwargs)["decoder_rates"]))
    check_keys(state, expected_state(preset, overrides), str(checkpoint))
    return ConvertedCheckpoint(
        preset, overrides, state, None, {"format": "dac", "file": str(checkpoint), "kwargs": kwargs}
    )
