"""`python -m src.bench learn`: stack syntax, the table, and one real budgeted run scored by the suite."""

import json

import pytest

from src.benchmarks.learn import (
    FIXED,
    format_table,
    load_variants,
    main,
    parse_list,
    resolve_stack,
    summarise,
)
from src.build import load_codec
from src.metrics.suite import aggregate
from src.training.checkpoint import list_checkpoints

METRICS = ["mel_distance", "pesq_wb", "stoi"]


def test_stack_syntax_maps_presets_and_named_variants_to_overrides():
    assert parse_list("stacks", "[tiny, tiny+ema]") == parse_list("stacks", "tiny,tiny+ema") == ["tiny", "tiny+ema"]
    variants = load_variants()  # experiments/bench_learn_variants.yaml
    assert resolve_stack("tiny", variants) == ["preset=tiny"]
    assert resolve_stack("demo+adversary+no_validation", variants) == [
        "preset=demo",
        *variants["adversary"],
        *variants["no_validation"],
    ]
    with pytest.raises(ValueError, match="preset 'nope'.*experiments/preset"):
        resolve_stack("nope", variants)
    with pytest.raises(ValueError, match="variant 'fast'.*learn_variants.yaml"):
        resolve_stack("tiny+fast", variants)
    with pytest.raises(ValueError, match="stacks="):
        parse_list("stacks", "[]")


def test_bad_stack_is_refused_before_any_training(tmp_path):
    with pytest.raises(ValueError, match="'nope'"):
        main(["stacks=[tiny,nope]", f"runs_dir={tmp_path / 'runs'}", f"out={tmp_path / 'learn.json'}"])
    assert not (tmp_path / "runs").exists()


def _run(stack, seed, steps, stopped_on, mel, pesq, stoi):
    metrics = {"mel_distance": aggregate(mel), "pesq_wb": aggregate(pesq), "stoi": aggregate(stoi)}
    return {
        "stack": stack,
        "seed": seed,
        "run_dir": f"runs/{stack}",
        "steps": steps,
        "stopped_on": stopped_on,
        "step_seconds": 180.4,
        "train_seconds": 191.6,
        "steps_per_s": steps / 180.4,
        "metrics": metrics,
        "bitrate": {"bitrate_nominal": 6400.0, "bitrate_entropy": 6112.5},
    }


def test_table_rows_notes_and_summary_over_seeds():
    runs = [
        _run("demo", 0, 2000, "max_minutes", [0.2, 0.3], [1.5, "silent reference"], [0.8, 0.9]),
        _run("demo", 1, 2100, "max_minutes", [0.1, 0.2], [1.7, 1.9], [0.9, 0.9]),
        _run("demo_waveform", 0, 400, "max_steps", [0.4, 0.5], [1.1, 1.2], [0.7, 0.8]),
        {"stack": "demo+adversary", "seed": 0, "run_dir": "runs/x", "error": "src.train exited with 1"},
    ]
    table = format_table({"minutes": 3.0, "metrics": METRICS, "runs": runs}).splitlines()
    assert table[0] == (
        "| stack | seed | steps | stopped on | train s | final s | steps/s | mel distance | PESQ-wb | STOI "
        "| nominal kbps | entropy kbps |"
    )
    # PESQ of seed 0: one item excluded, so a mean without a ci95
    assert (
        table[2]
        == "| demo | 0 | 2000 | max_minutes | 180 | 11 | 11.09 | 0.250 ± 0.635 | 1.500 | 0.850 ± 0.635 | 6.40 | 6.11 |"
    )
    assert table[5] == "| demo+adversary | 0 | failed: see runs/x/bench_train.log |"
    assert table[-1].startswith("note: demo_waveform (seed 0) reached its max_steps before the 3-minute budget")
    summary = summarise(runs, METRICS)
    assert summary["demo"]["steps"] == {"mean": 2050.0, "sd_over_seeds": pytest.approx(70.71, abs=0.01)}
    assert summary["demo"]["pesq_wb"]["mean"] == pytest.approx((1.5 + 1.8) / 2)
    assert summary["demo+adversary"] == {
        "runs": 1,
        "failed": 1,
        "steps": {"mean": None, "sd_over_seeds": None},
        **{m: {"mean": None, "sd_over_seeds": None} for m in METRICS},
    }


def test_failing_stack_is_recorded_and_the_bench_goes_on(tmp_path):
    out = tmp_path / "learn.json"
    result = main(
        ["stacks=[tiny]", "minutes=0.01", f"runs_dir={tmp_path / 'runs'}", f"out={out}", "encoder=no_such_encoder"]
    )  # src.train refuses the config: a real failing subprocess
    (run,) = result["runs"]
    assert run["returncode"] != 0 and "no_such_encoder" in run["error"]
    assert "failed: see" in out.with_suffix(".md").read_text()


@pytest.mark.slow
def test_tiny_stack_trains_on_the_budget_and_is_scored(tmp_path):
    out = tmp_path / "learn.json"
    result = main(
        [
            "stacks=[tiny]",
            "minutes=0.02",
            "max_items=2",
            f"runs_dir={tmp_path / 'runs'}",
            f"out={out}",
            "trainer.max_steps=100000",
        ]
    )
    assert json.loads(out.read_text()) == result
    (run,) = result["runs"]
    assert "error" not in run, run.get("error")
    assert run["stopped_on"] == "max_minutes" and 0 < run["steps"] < 100000
    assert 1.2 <= run["step_seconds"] <= run["train_seconds"] and run["steps_per_s"] > 0
    assert [p.name for p in list_checkpoints(run["run_dir"])] == [f"step_{run['steps']:08d}"]
    assert load_codec(run["run_dir"]).sample_rate == 16000
    assert all(run["overrides"].count(o) == 1 for o in FIXED) and "preset=tiny" in run["overrides"]
    for name in METRICS:
        assert run["metrics"][name]["n"] + run["metrics"][name]["n_excluded"] == 2
    assert 1.0 <= run["metrics"]["pesq_wb"]["mean"] <= 4.7 and 0.0 <= run["metrics"]["stoi"]["mean"] <= 1.0
    assert run["bitrate"]["bitrate_nominal"] == 1600.0  # tiny: 4 x 256 codes at 50 Hz
    assert result["stacks"]["tiny"]["steps"]["mean"] == run["steps"]
    assert out.with_suffix(".md").read_text().splitlines()[2].startswith("| tiny | 0 | ")
