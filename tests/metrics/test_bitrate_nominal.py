"""One nominal-bitrate formula (src.metrics.bitrate.nominal_bitrate) behind the codec, the evaluation's
code statistics and the summary: frame_rate x sum_k log2(K_k)."""

import math

import numpy as np
import pytest

from src.compose import compose_train_config
from src.metrics.bitrate import CodeStats, nominal_bitrate


def test_published_rates():
    assert nominal_bitrate(75.0, [1024] * 8) == pytest.approx(6000.0)  # EnCodec 24 kHz at 6 kbps
    assert nominal_bitrate(44100 / 512, [1024] * 9) == pytest.approx(7752, abs=1)  # DAC 44 kHz, 9 codebooks
    assert nominal_bitrate(50.0, []) == 0.0


def test_mixed_codebook_sizes_add_their_bits():
    assert nominal_bitrate(10.0, [2, 256, 1000]) == pytest.approx(10.0 * (1 + 8 + math.log2(1000)))


def test_code_stats_count_only_the_codebooks_used():
    stats = CodeStats([16, 256, 1024], frame_rate=50.0)
    stats.update(np.zeros((1, 2, 10), dtype=np.int64))  # two of the three codebooks carry codes
    assert stats.summary()["bitrate_nominal"] == nominal_bitrate(50.0, [16, 256])


@pytest.mark.parametrize("preset", ["tiny", "demo"])
def test_codec_and_summary_use_the_same_formula(preset):
    from src.build import build_codec
    from src.summary import summarize

    cfg = compose_train_config([f"preset={preset}"])
    codec = build_codec(cfg)
    expected = nominal_bitrate(codec.frame_rate, codec.codebook_sizes())
    assert expected > 0 and codec.nominal_bitrate() == expected
    assert codec.nominal_bitrate(1) == nominal_bitrate(codec.frame_rate, codec.codebook_sizes()[:1])
    assert summarize([f"preset={preset}"])["bitrate_bps"] == expected
