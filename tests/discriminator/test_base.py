"""The discriminator contract: declared members, and no batch statistics (checked when built)."""

import pytest
import torch
from omegaconf import OmegaConf
from torch import nn

from src.build import build_discriminators
from src.contracts import ContractError
from src.discriminator.base import Discriminator, check_discriminator
from src.discriminator.mpd import MultiPeriodDiscriminator
from src.training.steps import run_discriminators
from src.types import DiscriminatorOutput


class BatchNormDiscriminator(Discriminator):
    def __init__(self, channels: int = 1) -> None:
        super().__init__()
        self.channels = channels
        self.net = nn.Sequential(nn.Conv1d(channels, 4, 5), nn.BatchNorm1d(4), nn.Conv1d(4, 1, 3))

    def forward(self, wav, bandwidth_id=None):
        h = self.net[1](self.net[0](wav))
        return DiscriminatorOutput([self.net[2](h)], [[h]])


def test_batch_statistics_break_the_one_batch_step():
    """Why the rule exists: with BatchNorm, scoring real and fake together differs from scoring them apart."""
    disc = BatchNormDiscriminator().train()
    real, fake = torch.randn(2, 1, 64), 3 * torch.randn(2, 1, 64)
    (together,), _ = run_discriminators({"bn": disc}, real, fake)
    assert not torch.allclose(together.logits[0], disc(real).logits[0])


def test_build_refuses_batch_statistics_and_names_the_layer():
    cfg = OmegaConf.create({"discriminator": {"bn": {"_target_": f"{__name__}.BatchNormDiscriminator"}}})
    with pytest.raises(ValueError, match=r"discriminator\.bn .*batch statistics in \['net\.1'\].*base\.py"):
        build_discriminators(cfg)


def test_project_discriminators_pass_and_run_together_as_apart():
    disc = MultiPeriodDiscriminator(channels=1, filters=[4, 8], strides=[3, 1]).train()
    check_discriminator("mpd", disc)
    real, fake = torch.randn(2, 1, 300), torch.randn(2, 1, 300)
    (r,), (f,) = run_discriminators({"mpd": disc}, real, fake)
    for a, b in zip(r.logits + f.logits, disc(real).logits + disc(fake).logits):
        torch.testing.assert_close(a, b)


def test_missing_channels_is_named():
    class NoChannels(Discriminator):
        def forward(self, wav, bandwidth_id=None):
            return DiscriminatorOutput([wav], [[]])

    with pytest.raises(ContractError, match="discriminator.x .*NoChannels does not declare channels"):
        check_discriminator("x", NoChannels())
