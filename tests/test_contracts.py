"""The role contracts (src/<role>/base.py) are checked when the Codec is built, naming what is missing."""

import pytest
import torch
from torch import nn

from src.codec import Codec
from src.contracts import ContractError, check_component
from src.decoder.base import Decoder
from src.encoder.base import Encoder
from src.head.base import Head
from src.quantizer.base import DiscreteQuantizer, Quantizer
from src.quantizer.identity import Identity
from src.types import QuantizerOutput

D, HOP = 4, 8


class Enc(Encoder):
    hop_length, latent_dim = HOP, D

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv1d(1, D, HOP, stride=HOP)

    def forward(self, wav):
        return self.conv(wav)


class Dec(Decoder):
    latent_dim, out_dim, upsample = D, D, 1

    def forward(self, z_q, bandwidth_id=None):
        return z_q


class Hd(Head):
    in_dim, upsample = D, HOP

    def __init__(self):
        super().__init__()
        self.conv = nn.ConvTranspose1d(D, 1, HOP, stride=HOP)

    def forward(self, h):
        return self.conv(h)


class NoAuxNames(Quantizer):
    """A bottleneck that returns a loss but forgot to declare aux_loss_names."""

    is_discrete, n_codebooks, codebook_size = False, 0, None

    def __init__(self):
        super().__init__()
        self.input_dim = self.output_dim = D

    def forward(self, z, mask=None, n_quantizers=None):
        return QuantizerOutput(z, None, {"penalty": z.pow(2).mean()})


def codec(quantizer=None, **parts):
    return Codec(
        parts.get("encoder", Enc()),
        quantizer or Identity(D),
        parts.get("decoder", Dec()),
        parts.get("head", Hd()),
        sample_rate=8000,
        channels=1,
    )


def test_conforming_components_build_and_run():
    out = codec()(torch.randn(2, 1, 5 * HOP))
    assert out.wav_hat.shape == (2, 1, 5 * HOP)


def test_quantizer_without_aux_loss_names_fails_at_build_not_at_the_first_step():
    with pytest.raises(
        ContractError,
        match=r"quantizer tests\.test_contracts\.NoAuxNames does not declare "
        r"aux_loss_names: add a class attribute aux_loss_names = .*"
        r"see src/quantizer/base\.py",
    ):
        codec(NoAuxNames())


def test_aux_loss_names_must_be_a_tuple_of_names():
    class ListNames(NoAuxNames):
        aux_loss_names = ["penalty"]  # noqa: RUF012 (the mistake under test)

    with pytest.raises(ContractError, match="aux_loss_names=\\['penalty'\\]"):
        codec(ListNames())
    ListNames.aux_loss_names = ("penalty",)
    assert codec(ListNames()).quantizer.aux_loss_names == ("penalty",)


def test_missing_attribute_is_named_with_how_to_add_it():
    class Hopless(Encoder):  # forgot self.hop_length
        latent_dim = D
        forward = Enc.forward

    with pytest.raises(
        ContractError,
        match=r"encoder .*Hopless does not declare hop_length: set self\.hop_length"
        r".*see src/encoder/base\.py",
    ):
        codec(encoder=Hopless())


def test_a_missing_method_fails_at_construction_through_the_base():
    class NoDecode(DiscreteQuantizer):
        aux_loss_names, n_codebooks, codebook_size = (), 1, 2

        def forward(self, z, mask=None, n_quantizers=None):
            return QuantizerOutput(z)

        def encode(self, z, n_quantizers=None):
            return z.long()

    with pytest.raises(TypeError, match="abstract method.*decode"):
        NoDecode()


def test_component_outside_the_bases_is_checked_by_its_members():
    """A trusted third-party module need not inherit the base, but must declare the same members."""

    class PlainHead(nn.Module):
        upsample = HOP

        def forward(self, h):
            return h

    with pytest.raises(ContractError, match="head .*PlainHead does not declare in_dim"):
        check_component("head", PlainHead(), Head)
    plain = PlainHead()
    plain.in_dim = D
    check_component("head", plain, Head)

    class NoForward(nn.Module):
        in_dim, upsample = D, HOP

    with pytest.raises(ContractError, match="does not declare forward"):
        check_component("head", NoForward(), Head)
