"""Vocos/WavTokenizer decoder backbone: shapes, AdaLayerNorm conditioning, attention reach, errors."""

import pytest
import torch
from torch import nn

from src.decoder.vocos import VocosDecoder
from src.nn.attention import SelfAttention1d
from src.nn.convnext import AdaLayerNorm


def tiny(**kw) -> VocosDecoder:
    args = {"latent_dim": 8, "out_dim": 32, "dim": 32, "intermediate_dim": 48, "num_layers": 2, "num_groups": 8}
    args.update(kw)
    return VocosDecoder(**args).eval()


def randomize_adanorm(model: nn.Module) -> None:
    """Init makes every id identical (scale 1, shift 0): give ids distinct affine parameters."""
    for m in model.modules():
        if isinstance(m, AdaLayerNorm):
            nn.init.normal_(m.scale.weight, 1.0, 0.5)
            nn.init.normal_(m.shift.weight, 0.0, 0.5)


@pytest.mark.parametrize("pos_net", [True, False])
@pytest.mark.parametrize("frames", [1, 2, 7])
def test_keeps_frame_rate_and_outputs_dim(pos_net, frames):
    dec = tiny(pos_net=pos_net)
    h = dec(torch.randn(3, 8, frames))
    assert h.shape == (3, 32, frames)
    assert dec.upsample == 1 and dec.out_dim == 32 and dec.latent_dim == 8
    # final LayerNorm (affine at init = identity): every frame is normalised over channels
    assert torch.allclose(h.mean(1), torch.zeros(3, frames), atol=1e-5)


def test_adanorm_output_depends_on_bandwidth_id():
    dec = tiny(adanorm_num_embeddings=3)
    randomize_adanorm(dec)
    z = torch.randn(1, 8, 6)
    outs = [dec(z, torch.tensor([i])) for i in range(3)]
    assert not torch.allclose(outs[0], outs[1], atol=1e-4)
    assert not torch.allclose(outs[1], outs[2], atol=1e-4)
    # a missing id means id 0 (WavTokenizer's constant id); a per-sample batch matches single calls
    assert torch.allclose(dec(z), outs[0])
    both = dec(z.expand(2, -1, -1), torch.tensor([2, 1]))
    assert torch.allclose(both[0], outs[2], atol=1e-5) and torch.allclose(both[1], outs[1], atol=1e-5)


def test_adanorm_trains_only_the_selected_embedding():
    dec = tiny(adanorm_num_embeddings=3).train()
    dec(torch.randn(2, 8, 5), torch.tensor([1, 1])).square().mean().backward()
    grad = dec.norm.scale.weight.grad
    assert grad[1].abs().sum() > 0 and grad[0].abs().sum() == 0 and grad[2].abs().sum() == 0


def test_plain_layernorm_without_adanorm_ignores_bandwidth_id():
    dec = tiny(adanorm_num_embeddings=None)
    assert not any(isinstance(m, AdaLayerNorm) for m in dec.modules())
    z = torch.randn(2, 8, 4)
    assert torch.equal(dec(z), dec(z, torch.tensor([3, 5])))


def test_attention_makes_the_receptive_field_global():
    """ConvNeXt-only: frame 0 cannot reach frame 40 (k=7 convs); with the pos-net's attention it does."""
    z = torch.randn(1, 8, 48)
    z2 = z.clone()
    z2[..., 0] += 5.0
    local, glob = tiny(pos_net=False), tiny(pos_net=True)
    assert torch.equal(local(z)[..., 40:], local(z2)[..., 40:])
    assert not torch.allclose(glob(z)[..., 40:], glob(z2)[..., 40:])


def test_self_attention_is_permutation_equivariant_and_heads_keep_params():
    one, four = SelfAttention1d(16, 1, 4), SelfAttention1d(16, 4, 4)
    assert sum(p.numel() for p in one.parameters()) == sum(p.numel() for p in four.parameters())
    x, perm = torch.randn(2, 16, 9), torch.randperm(9)
    assert torch.allclose(four(x)[..., perm], four(x[..., perm]), atol=1e-5)
    # one head equals the explicit softmax(q^T k / sqrt(C)) v of WavTokenizer's AttnBlock
    h = one.norm(x)
    q, k, v = one.q(h), one.k(h), one.v(h)
    w = torch.softmax(q.transpose(1, 2) @ k / 16**0.5, dim=-1)
    ref = x + one.proj_out(v @ w.transpose(1, 2))
    assert torch.allclose(one(x), ref, atol=1e-5)


def test_bad_inputs_name_the_config_key():
    with pytest.raises(ValueError, match="out_dim"):
        tiny(out_dim=16)
    dec = tiny(adanorm_num_embeddings=2)
    with pytest.raises(ValueError, match="adanorm_num_embeddings"):
        dec(torch.randn(1, 8, 3), torch.tensor([2]))
    with pytest.raises(ValueError, match="latent_dim"):
        dec(torch.randn(1, 9, 3))
    with pytest.raises(ValueError, match="decoder.num_groups"):
        tiny(num_groups=5)
