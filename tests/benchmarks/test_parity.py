"""`python -m src.bench parity` at tiny widths: same weights on both sides, the JSON schema, the table."""

import importlib.util
import json

import pytest
import torch

from src.benchmarks import parity
from src.benchmarks._official import copy_by_order
from src.benchmarks._pairs import TINY, build_pair

MISSING = [m for m in ("dac", "encodec", "vocos") if importlib.util.find_spec(m) is None]
pytestmark = pytest.mark.skipif(
    bool(MISSING), reason=f"official packages not installed (the `bench` extra, --no-deps): {MISSING}"
)


@pytest.mark.parametrize("name", sorted(TINY))
def test_both_sides_compute_the_same(name):
    pair = build_pair(name, "tiny")
    wav = torch.randn(2, 1, pair.sample_rate // 2) * 0.1
    assert parity.same_weights(pair, wav) < 1e-5
    with torch.no_grad():  # changed weights on one side show: the check can fail
        for p in pair.official.parameters():
            p.mul_(1.2)
    assert parity.same_weights(pair, wav) > 1e-3


def test_copy_by_order_refuses_mismatch():
    with pytest.raises(ValueError, match="shape mismatch"):
        copy_by_order(torch.nn.Linear(3, 4), torch.nn.Linear(4, 3))


def test_bench_writes_json(tmp_path):
    out = tmp_path / "parity.json"
    result = parity.main(
        [
            "presets=dac_16khz,vocos",
            "modes=eager,bf16,kernels",
            "kernel_backend=aot_eager",
            "repeats=1",
            "size=tiny",
            "seconds=0.25",
            "batch=2",
            f"out={out}",
        ]
    )
    assert json.loads(out.read_text()) == json.loads(json.dumps(result))
    assert set(result["same_weights_max_diff"]) == set(result["inference_rtf"]) == {"dac_16khz", "vocos"}
    for rtf in result["inference_rtf"].values():
        assert set(rtf) == {"ours", "official", "ours_folded", "official_folded"} and min(rtf.values()) > 0
    assert all(v < 1e-5 for v in result["same_weights_max_diff"].values())
    rows = result["rows"]
    # presets x {eager, bf16} x {train, infer}, + kernels for the Snake codec only (Vocos has nothing to fuse)
    assert len(rows) == 2 * 2 * 2 + 2
    assert {(r["preset"], r["task"]) for r in rows if r["mode"] == "kernels"} == {
        ("dac_16khz", "train"),
        ("dac_16khz", "infer"),
    }
    for row in rows:
        fused = {"official_fused_s", "ratio_to_fused"} if row["mode"] == "kernels" else set()
        assert set(row) == {"preset", "mode", "task", "ours_s", "official_s", "ratio"} | fused
        assert row["ours_s"] > 0 and row["official_s"] > 0
        assert row["ratio"] == pytest.approx(row["ours_s"] / row["official_s"])
    table = parity.markdown(result)
    assert table.count("\n") == len(rows) + 1 and "| dac_16khz | bf16 | train |" in table
