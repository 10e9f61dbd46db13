"""`python -m src.bench codes`: code usage and bottleneck statistics over training (src/benchmarks/codes.py)."""

import json
import math

import pytest
import torch

from src.benchmarks._code_stats import channel_stats, usage
from src.benchmarks.codes import main
from tests.training.helpers import TOY_OVERRIDES


def test_channel_stats_tell_a_constant_output_from_a_varying_one():
    varying = torch.randn(4, 8, 50)
    constant = torch.randn(1, 8, 1).expand(4, 8, 50) + 1e-3 * torch.randn(4, 8, 50)
    s_var, s_const = channel_stats(varying), channel_stats(constant)
    assert s_var["direction_concentration"] < 0.2 and s_const["direction_concentration"] > 0.99
    assert s_var["frame_std_over_rms"] > 0.9 and s_const["frame_std_over_rms"] < 0.01
    assert len(s_var["mean"]) == len(s_var["std"]) == 8


def test_usage_counts_distinct_codes_and_entropy():
    codes = torch.tensor([[[0, 1, 2, 3]], [[0, 1, 2, 3]]])  # (B=2, n_q=1, F=4): 4 codes, uniform
    (u,) = usage(codes, 16)
    assert u["distinct"] == 4 and u["entropy_bits"] == pytest.approx(2.0) and u["top_share"] == 0.25
    (one,) = usage(torch.zeros(2, 1, 4, dtype=torch.long), 16)
    assert one["distinct"] == 1 and one["entropy_bits"] == 0.0


@pytest.mark.parametrize("quantizer", ["fsq", "dac_rvq"])
def test_bench_codes_records_every_log_point(tmp_path, quantizer):
    out = tmp_path / "codes.json"
    extra = ["quantizer.n_codebooks=2", "quantizer.codebook_size=16"] if quantizer == "dac_rvq" else []
    result = main(
        [
            "steps=2",
            "log_every=1",
            "probe_items=2",
            "probe_seconds=0.25",
            f"out={out}",
            *TOY_OVERRIDES,
            f"quantizer={quantizer}",
            *extra,
        ]
    )
    rows = json.loads(out.read_text())["rows"]
    assert [r["step"] for r in rows] == [0, 1, 2] and result["summary"][-1]["step"] == 2
    for row in rows:
        assert all(u["distinct"] >= 1 for u in row["usage"])
        assert row["grad"]["mel_dz"] > 0 and math.isfinite(row["grad"]["st_ratio"])  # straight-through reaches z
    assert rows[0]["grad"]["encoder_param_norm"] == 0.0 < rows[1]["grad"]["encoder_param_norm"]
    if quantizer == "fsq":
        for dim in rows[-1]["fsq_levels"]:
            assert len(dim["share"]) == dim["levels"] and sum(dim["share"]) == pytest.approx(1.0, abs=1e-3)
    else:
        assert len(rows[-1]["usage"]) == 2 and len(rows[-1]["codebooks"]) == 2
        unit = rows[-1]["inputs"]["layer0_in_proj_l2"]  # after l2 normalisation: every frame has norm 1
        assert unit["rms"] == pytest.approx(1 / math.sqrt(8), rel=1e-3)  # codebook_dim 8
