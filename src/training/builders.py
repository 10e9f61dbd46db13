"""From the composed config to the objects a training run needs (losses, weights, optimizers, data)."""
from __future__ import annotations

import logging
import random
from collections.abc import Mapping

import numpy as np
import torch
from hydra.utils import instantiate
from omegaconf import DictConfig, OmegaConf
from torch import nn

from src.loss.weighted import LossWeights

log = logging.getLogger(__name__)


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


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


def build_train_loader(dataset, data, sampler, epoch: int, seed: int, pin: bool):
    """One DataLoader per epoch; its own generator keeps the global RNG untouched (a resumed run must
    draw the same random numbers as an uninterrupted one)."""
    from torch.utils.data import DataLoader

    if hasattr(dataset, "set_epoch"):
        dataset.set_epoch(epoch)
    loader = DataLoader(
        dataset, batch_size=data.batch_size, sampler=sampler, collate_fn=collate_fn(data),
        num_workers=data.num_workers, drop_last=True, pin_memory=pin,
        generator=torch.Generator().manual_seed(seed * 7919 + epoch),
    )
    watch = getattr(data, "watch", None)  # names the files replaced at read time (src.data.datasets)
    return watch(loader) if watch is not None else loader


def build_eval_loader(dataset, data):
    from torch.utils.data import DataLoader

    return DataLoader(dataset, batch_size=data.batch_size, shuffle=False, collate_fn=collate_fn(data),
                      num_workers=0)


def collate_fn(data):
    """The data module's own `collate` when it has one, else src.data.datasets.collate (the contract)."""
    own = getattr(data, "collate", None)
    if own is not None:
        return own
    from src.data.datasets import collate

    return collate
