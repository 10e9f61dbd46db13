"""`python -m src.train [group=option ...] [key=value ...]`: train a codec from the composed config.

Hydra provides the command line: overrides, `--cfg job` (print the composed config), `--help` (the
config groups and their options), `-m` multiruns; each run writes to its own output dir (hydra.run.dir),
which is the run directory: checkpoints/, metrics.jsonl, tensorboard/, wandb/, codec.safetensors,
config.yaml. Several processes: `torchrun --nproc_per_node N -m src.train ...`.
"""
from __future__ import annotations

import hydra
from omegaconf import DictConfig

import src.config  # noqa: F401  (registers the resolvers used by conf/)


@hydra.main(config_path="../conf", config_name="train", version_base="1.3")
def main(cfg: DictConfig) -> None:
    from src.training.trainer import Trainer

    Trainer(cfg).fit()


if __name__ == "__main__":
    main()
