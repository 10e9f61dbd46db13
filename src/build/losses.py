"""From the composed config to the loss terms and their weights (loss.reconstruction, adversarial, balancer)."""

from __future__ import annotations

import logging
from collections.abc import Mapping

from hydra.utils import instantiate
from omegaconf import DictConfig, OmegaConf
from torch import nn

from src.loss.weighted import LossWeights

log = logging.getLogger(__name__)


def build_losses(cfg: DictConfig, has_discriminators: bool):
    """-> (reconstruction ModuleDict, AdversarialLoss | None, balancer | None)."""
    recon_cfg = cfg.loss.get("reconstruction") or {}
    if not recon_cfg:
        raise ValueError("loss.reconstruction is empty: a codec needs at least one reconstruction term (e.g. mel)")
    recon = nn.ModuleDict({name: instantiate(node, _convert_="all") for name, node in recon_cfg.items()})
    adversarial = instantiate(cfg.loss.adversarial, _convert_="all") if has_discriminators else None
    balancer = instantiate(cfg.loss.balancer, _convert_="all") if cfg.loss.get("balancer") else None
    return recon, adversarial, balancer


def build_weights(cfg: DictConfig, recon: Mapping, adversarial, aux_names) -> LossWeights:
    """LossWeights over reconstruction + adversarial (when there are discriminators) + quantizer aux terms.

    With `discriminator=[]` the adversarial weights of loss.weights have no term to weigh: they are dropped
    (and said so), since choosing no discriminator is itself the explicit choice of no adversarial loss.
    """
    weights = OmegaConf.to_container(cfg.loss.weights, resolve=True) or {}
    required = list(recon)
    if adversarial is not None:
        required += list(adversarial.term_names)
    elif "adv" in weights:
        log.info("discriminator=[]: no adversarial terms, ignoring loss.weights.adv=%s", weights.pop("adv"))
    return LossWeights(weights, required_terms=required, optional_terms=tuple(aux_names))
