"""DAC factorized RVQ and BigCodec factorized VQ: parameter counts, losses, dropout, masks."""

import torch
import torch.nn.functional as F

from src.quantizer.dac_rvq import DACResidualVQ
from src.quantizer.factorized_vq import FactorizedVQ


def n_trainable(m: torch.nn.Module) -> int:
    return sum(p.numel() for p in m.parameters() if p.requires_grad)


def test_parameter_counts_match_dac_and_bigcodec():
    # per codebook: in_proj 8192+8+8, out_proj 8192+1024+1024, codebook 8192 (DAC WNConv1d 1x1)
    assert n_trainable(DACResidualVQ(1024, n_codebooks=12, codebook_size=1024, codebook_dim=8)) == 319_680
    assert n_trainable(DACResidualVQ(1024, n_codebooks=32, codebook_size=1024, codebook_dim=8)) == 852_480
    assert n_trainable(DACResidualVQ(1024, n_codebooks=9, codebook_size=1024, codebook_dim=8)) == 239_760
    assert n_trainable(FactorizedVQ(1024, codebook_size=8192, codebook_dim=8)) == 83_984


def test_lookup_is_cosine_nearest_and_returns_raw_rows():
    q = DACResidualVQ(6, n_codebooks=1, codebook_size=5, codebook_dim=3).eval()
    layer = q.layers[0]
    e = layer.in_proj(torch.randn(2, 6, 4))
    codes = layer.lookup(e)
    enc = F.normalize(e.transpose(1, 2), dim=-1)
    cb = F.normalize(layer.codebook.weight, dim=-1)
    brute = ((enc[:, :, None] - cb[None, None]) ** 2).sum(-1).argmin(-1)
    assert torch.equal(codes, brute)


def test_losses_weighted_and_gradients_split():
    q = DACResidualVQ(6, n_codebooks=1, codebook_size=5, codebook_dim=3, commitment_weight=0.25).train()
    z = torch.randn(2, 6, 4)
    out = q(z)
    layer = q.layers[0]
    e = layer.in_proj(z)
    raw = layer.codebook(out.codes[:, 0]).transpose(1, 2)
    torch.testing.assert_close(out.aux_losses["vq/commitment"], 0.25 * F.mse_loss(e, raw))
    torch.testing.assert_close(out.aux_losses["vq/codebook"], F.mse_loss(raw, e))
    out.aux_losses["vq/codebook"].backward()  # codebook loss moves the codebook, not the encoder side
    assert layer.codebook.weight.grad.abs().sum() > 0
    assert all(p.grad is None or p.grad.abs().sum() == 0 for p in layer.in_proj.parameters())


def test_masked_frames_do_not_count_in_losses():
    q = DACResidualVQ(6, n_codebooks=2, codebook_size=5, codebook_dim=3).train()
    z = torch.randn(2, 6, 8)
    mask = torch.ones(2, 8, dtype=torch.bool)
    mask[:, 5:] = False
    a = q(z, mask=mask)
    z2 = z.clone()
    z2[:, :, 5:] = 1e3
    b = q(z2, mask=mask)
    for k in a.aux_losses:
        torch.testing.assert_close(a.aux_losses[k], b.aux_losses[k])


def test_quantizer_dropout_varies_codebooks_per_sample():
    torch.manual_seed(0)
    q = DACResidualVQ(6, n_codebooks=4, codebook_size=5, codebook_dim=3, quantizer_dropout=1.0).train()
    z = torch.randn(16, 6, 3)
    out = q(z)
    full = q.eval()(z).z_q
    # with dropout some samples use fewer codebooks, so their training output differs from eval's
    differs = (out.z_q - full).abs().amax(dim=(1, 2)) > 1e-6
    assert 0 < int(differs.sum()) < 16
