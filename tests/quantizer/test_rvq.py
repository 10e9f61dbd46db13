"""EMA residual VQ: XY-Tokenizer settings, projections, skip_rvq_ratio, masks, no trainable params."""

import pytest
import torch

from src.quantizer.codebook import find_ema_codebooks
from src.quantizer.rvq import ResidualVQ
from src.quantizer.vq import VectorQuantizer


def test_ema_quantizers_have_no_trainable_parameters():
    assert sum(p.numel() for p in ResidualVQ(16, n_codebooks=4, codebook_size=32).parameters()) == 0
    assert sum(p.numel() for p in VectorQuantizer(16, codebook_size=64).parameters()) == 0


def test_xy_tokenizer_settings_expressible():
    q = ResidualVQ(
        input_dim=24,
        rvq_dim=12,
        output_dim=20,
        n_codebooks=32,
        codebook_size=64,
        codebook_dim=8,
        quantizer_dropout=0.5,
        skip_rvq_ratio=0.1,
        kmeans_iters=1,
    )
    z = torch.randn(2, 24, 5)
    out = q.train()(z)
    assert out.z_q.shape == (2, 20, 5) and out.codes.shape == (2, 32, 5)
    assert q.bits_per_frame() == 32 * 6


def test_skip_rvq_ratio_passes_skipped_samples_unquantized():
    torch.manual_seed(0)
    q = ResidualVQ(4, n_codebooks=2, codebook_size=8, skip_rvq_ratio=0.5, kmeans_iters=1).train()
    z = torch.randn(32, 4, 6)
    out = q(z)
    passed = (out.z_q - z).abs().amax(dim=(1, 2)) == 0
    assert 0 < int(passed.sum()) < 32
    assert not q.eval()(z).z_q.equal(z)  # never skips at inference


def test_padded_frames_never_update_rvq_statistics():
    z = torch.randn(2, 4, 10)
    mask = torch.ones(2, 10, dtype=torch.bool)
    mask[1, 6:] = False
    z_bad = z.clone()
    z_bad[1, :, 6:] = 1e4
    a = ResidualVQ(4, n_codebooks=2, codebook_size=8, kmeans_iters=2).train()
    b = ResidualVQ(4, n_codebooks=2, codebook_size=8, kmeans_iters=2).train()
    a(z, mask=mask)
    b(z_bad, mask=mask)
    for (name, ca), cb in zip(find_ema_codebooks(a).items(), find_ema_codebooks(b).values()):
        assert torch.equal(ca.embed, cb.embed) and torch.equal(ca.cluster_size, cb.cluster_size), name


def test_dropout_only_updates_active_codebooks():
    q = ResidualVQ(4, n_codebooks=3, codebook_size=8, kmeans_iters=1, threshold_ema_dead=0).train()
    q(torch.randn(4, 4, 8), n_quantizers=2)
    inits = [bool(layer.codebook.initted) for layer in q.layers]
    assert inits == [True, True, False]


def test_metrics_logged_per_codebook():
    q = ResidualVQ(4, n_codebooks=2, codebook_size=8, kmeans_iters=1).train()
    out = q(torch.randn(2, 4, 8))
    for i in range(2):
        for name in ("utilization", "perplexity", "dead_codes", "replaced"):
            assert f"vq/{name}/{i}" in out.metrics
        assert 0 < float(out.metrics[f"vq/utilization/{i}"]) <= 1


def test_bad_settings_are_clear_errors():
    with pytest.raises(ValueError, match="quantizer_dropout"):
        ResidualVQ(4, quantizer_dropout=1.5)
    with pytest.raises(ValueError, match="decay"):
        ResidualVQ(4, decay=1.0)
    with pytest.raises(ValueError, match="mask"):
        ResidualVQ(4, n_codebooks=1, codebook_size=4)(torch.randn(2, 4, 5), mask=torch.ones(2, 4))
