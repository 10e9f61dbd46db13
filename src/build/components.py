"""From a composed config to the codec and the discriminators, and back from a run directory (load_codec).

Components themselves take plain keyword arguments and know nothing of Hydra.
"""

from __future__ import annotations

from pathlib import Path

from hydra.utils import instantiate
from omegaconf import DictConfig, OmegaConf
from torch import nn

from src.codec import CONFIG_FILE, WEIGHTS_FILE, Codec
from src.config import register_resolvers
from src.discriminator.base import check_discriminator
from src.inference import prepare_for_inference
from src.safe_instantiate import UnsafeTargetError, checked_config

COMPONENT_GROUPS = ("encoder", "quantizer", "decoder", "head")


def instantiate_node(cfg: DictConfig, key: str, trusted_targets=None):
    """trusted_targets=None: cfg was composed from the user's command line (trusted); a list (maybe empty):
    cfg came from a file, so every target in the node must pass src.safe_instantiate's allowlist first."""
    register_resolvers()  # conf/ wires sizes with ${mul:...}, ${prod:...}: resolved on access
    node = OmegaConf.select(cfg, key)
    if node is None:
        raise KeyError(f"config has no `{key}` group: choose one, e.g. `{key}=<option>` (see --help)")
    if trusted_targets is not None:
        node = checked_config(node, trusted_targets, key)  # raises UnsafeTargetError before any call
    try:
        return instantiate(node, _convert_="all")
    except Exception as err:  # name the group whose construction failed
        raise type(err)(f"building `{key}` ({node.get('_target_')}) failed: {err}") from err


def build_codec(cfg: DictConfig, trusted_targets=None) -> Codec:
    """cfg: the composed training config -> Codec (encoder, quantizer, decoder, head).

    For a config read from a file pass trusted_targets (a list of extra prefixes, usually []): then only
    the allowlisted components are built (src/safe_instantiate.py)."""
    parts = {g: instantiate_node(cfg, g, trusted_targets) for g in COMPONENT_GROUPS}
    return Codec(**parts, sample_rate=cfg.sample_rate, channels=cfg.channels)


def build_discriminators(cfg: DictConfig) -> nn.ModuleDict:
    """cfg.discriminator: {name: {_target_: ...}} (a multi-select group) -> ModuleDict by name."""
    node = cfg.get("discriminator") or {}
    discs = nn.ModuleDict({name: instantiate_node(cfg, f"discriminator.{name}") for name in node})
    for name, disc in discs.items():  # the contract, and no batch statistics (src/discriminator/base.py)
        check_discriminator(name, disc)
    return discs


def load_run_config(path: str | Path, trusted_targets=()) -> DictConfig:
    """Read a run's resolved config.yaml as data: every `_target_` in it must pass the allowlist
    (src/safe_instantiate.py, plus the user's trusted_targets prefixes), else UnsafeTargetError naming the
    file, the key and the target. -> the resolved, checked config."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path} not found: expected a run directory's resolved config.yaml")
    try:
        return checked_config(OmegaConf.load(path), trusted_targets, source=str(path))
    except UnsafeTargetError as err:
        raise UnsafeTargetError(f"{path}: {err}") from None


def read_weights(path: Path, map_location: str = "cpu") -> dict:
    """A codec.safetensors file -> state dict; an unreadable file is named with what to do."""
    from safetensors.torch import load_file

    try:
        return load_file(str(path), device=map_location)
    except Exception as err:  # SafetensorError / OSError name no file
        raise ValueError(
            f"{path}: not a readable safetensors file ({type(err).__name__}: {err}); it is truncated or "
            "corrupt: export it again, or load a checkpoint (checkpoints/step_*/codec.safetensors)"
        ) from err


def load_codec(
    run_dir_or_file: str | Path,
    map_location: str = "cpu",
    trusted_targets=(),
    for_inference: bool = False,
    fused_kernels: str | None = None,
) -> Codec:
    """Build from the run's resolved config.yaml and load codec.safetensors -> Codec in eval mode.

    Accepts a run directory, or the path of a codec.safetensors whose config.yaml lies beside it. The
    config is data: it may only build the project's components (src/safe_instantiate.py), plus classes
    under the prefixes in trusted_targets (e.g. ["mylab.codecs"]) that you add because you trust them.
    for_inference=True folds weight norm into plain weights and turns gradients off: faster encode/decode,
    no training (src/inference.py); with it, fused_kernels="inductor" compiles the Snake layers' fused
    kernel (src/nn/kernels.py).
    """
    path = Path(run_dir_or_file)
    weights = path / WEIGHTS_FILE if path.is_dir() else path
    config = weights.parent / CONFIG_FILE
    for needed in (weights, config):
        if not needed.exists():
            raise FileNotFoundError(
                f"{needed} not found: load_codec needs a run directory holding {WEIGHTS_FILE} and "
                f"{CONFIG_FILE} (written at the end of `python -m src.train`)"
            )
    codec = build_codec(load_run_config(config, trusted_targets), trusted_targets)
    codec.load_state_dict(read_weights(weights, map_location))
    return prepare_for_inference(codec, fused_kernels) if for_inference else codec.eval()
