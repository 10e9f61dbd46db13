"""Invariants of every discriminator: one logit and one feature-map list per sub-discriminator, any length,
stereo, gradients to the input, bandwidth conditioning (projection) per batch item."""

import pytest
import torch

from src.discriminator.mpd import MultiPeriodDiscriminator
from src.discriminator.mrd import MultiResolutionDiscriminator
from src.discriminator.msd import MultiScaleDiscriminator
from src.discriminator.msstft import MultiScaleSTFTDiscriminator
from src.discriminator.multiband import MultiBandDiscriminator
from tests.zoo_helpers import discriminator_variant

# BigCodec's MS-STFT layout (the preset's variant) at tiny widths; the cases below set the STFT sizes
STFT_SIZES = ("n_ffts", "hop_lengths", "win_lengths")
BIGCODEC_STFT = {k: v for k, v in discriminator_variant("bigcodec_msstft").items() if k not in STFT_SIZES}
BIGCODEC_STFT["max_filters"] = 16

# name -> (class, tiny kwargs, number of sub-discriminators, feature maps per sub-discriminator)
CASES = {
    "mpd": (MultiPeriodDiscriminator, {"filters": [4, 8, 8], "strides": [3, 3, 1]}, 5, 3),
    "mpd_bigcodec": (
        MultiPeriodDiscriminator,
        {"filters": [4, 8], "strides": [3, 1], "post_kernel_size": 2},
        5,
        2,
    ),
    "msd": (
        MultiScaleDiscriminator,
        {
            "filters": [4, 8, 8],
            "kernel_sizes": [15, 41, 5],
            "strides": [1, 4, 1],
            "groups": [1, 4, 1],
        },
        3,
        3,
    ),
    "mrd": (
        MultiResolutionDiscriminator,
        {"resolutions": [[128, 30, 120], [256, 60, 240]], "filters": 4},
        2,
        5,
    ),
    "msstft": (
        MultiScaleSTFTDiscriminator,
        {
            "n_ffts": [64, 128, 32],
            "hop_lengths": [16, 32, 8],
            "win_lengths": [64, 128, 32],
            "filters": 4,
        },
        3,
        5,
    ),
    "msstft_bigcodec": (
        MultiScaleSTFTDiscriminator,
        dict(
            n_ffts=[64, 128],
            hop_lengths=[16, 32],
            win_lengths=[64, 128],
            filters=4,
            **BIGCODEC_STFT,
        ),
        2,
        5,
    ),
    "multiband": (MultiBandDiscriminator, {"window_lengths": [128, 64], "filters": 4}, 2, 5 * 5),
}


def build(name, channels=1, **extra):
    cls, kwargs, _, _ = CASES[name]
    return cls(channels=channels, **kwargs, **extra)


@pytest.mark.parametrize("name", CASES)
@pytest.mark.parametrize("channels,length", [(1, 997), (2, 1201)])
def test_one_logit_and_fmap_list_per_sub_discriminator(name, channels, length):
    _, _, n_sub, n_maps = CASES[name]
    out = build(name, channels)(torch.randn(2, channels, length))
    assert len(out.logits) == len(out.fmaps) == n_sub
    for logit, maps in zip(out.logits, out.fmaps):
        assert logit.shape[:2] == (2, 1) and torch.isfinite(logit).all()
        assert len(maps) == n_maps
        assert all(m.shape[0] == 2 and torch.isfinite(m).all() for m in maps)


@pytest.mark.parametrize("name", CASES)
def test_gradients_reach_the_input(name):
    wav = torch.randn(1, 1, 800, requires_grad=True)
    out = build(name)(wav)
    sum(logit.square().mean() for logit in out.logits).backward()
    assert wav.grad is not None and torch.isfinite(wav.grad).all() and wav.grad.abs().sum() > 0


@pytest.mark.parametrize("name", CASES)
def test_bandwidth_conditioning_changes_the_output_per_item(name):
    disc = build(name, num_bandwidths=3).eval()
    wav = torch.randn(2, 1, 900)
    plain = disc(wav).logits
    # the embeddings start at zero (WavTokenizer), so conditioning is a no-op until it is learned
    assert all(torch.equal(a, b) for a, b in zip(plain, disc(wav, torch.tensor([0, 2])).logits))
    for module in disc.modules():
        if isinstance(module, torch.nn.Embedding):
            torch.nn.init.normal_(module.weight)
    both = disc(wav, torch.tensor([0, 2])).logits
    other = disc(wav, torch.tensor([1, 2])).logits
    assert any(not torch.allclose(a[0], b[0]) for a, b in zip(both, other))  # item 0's id changed
    assert all(torch.allclose(a[1], b[1]) for a, b in zip(both, other))  # item 1's did not
    alone = disc(wav[:1], torch.tensor([0])).logits
    assert all(torch.allclose(a[0], b[0], atol=1e-5) for a, b in zip(both, alone))


def test_bad_inputs_name_what_to_fix():
    disc = build("mpd")
    with pytest.raises(ValueError, match="num_bandwidths"):
        disc(torch.randn(1, 1, 500), torch.tensor([0]))
    with pytest.raises(ValueError, match=r"\(B, 1, T\)"):
        disc(torch.randn(1, 2, 500))
    cond = build("mpd", num_bandwidths=2)
    with pytest.raises(ValueError, match="num_bandwidths=2"):
        cond(torch.randn(1, 1, 500), torch.tensor([2]))
    with pytest.raises(ValueError, match="strides"):
        MultiPeriodDiscriminator(filters=[4, 8], strides=[3])


def test_stereo_is_judged_jointly():
    """Channels are input channels: swapping left and right changes what the discriminator sees."""
    disc = build("msstft", channels=2)
    wav = torch.randn(1, 2, 700)
    a, b = disc(wav).logits, disc(wav.flip(1)).logits
    assert any(not torch.allclose(x, y) for x, y in zip(a, b))


def test_peak_normalize_makes_the_output_gain_invariant():
    disc = build("multiband")  # DAC preprocessing is on by default here
    wav = torch.randn(1, 1, 700)
    a, b = disc(wav).logits, disc(3.0 * wav + 0.5).logits
    assert all(torch.allclose(x, y, atol=1e-4) for x, y in zip(a, b))


def test_peak_normalize_keeps_the_stereo_balance():
    from src.discriminator.common import peak_normalize

    wav = torch.randn(2, 2, 500)
    wav[:, 1] *= 0.1  # a quiet right channel must stay quiet
    out = peak_normalize(wav)
    assert out.abs().amax(dim=(1, 2)).allclose(torch.full((2,), 0.8))
    ratio = out[:, 1].abs().amax(-1) / out[:, 0].abs().amax(-1)
    assert ratio.max() < 0.5
