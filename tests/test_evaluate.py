"""src.evaluate in directory-pair mode: matching by relative path, metrics.json / per_item.csv schema."""

import csv
import json

import numpy as np
import pytest
import soundfile as sf
from hydra import compose, initialize_config_dir

from src.benchmarks.evaluate import degrade, speechlike
from src.evaluate import NO_CODEC, evaluate, pair_jobs

SR = 16000


@pytest.fixture
def dirs(tmp_path):
    ref, dec = tmp_path / "ref", tmp_path / "dec"
    for name, x in {
        "a/one": speechlike(1.5, SR, 1),
        "a/two": speechlike(1.5, SR, 2),
        "silent": np.zeros((1, SR)),
        "lonely": speechlike(1.0, SR, 4),
    }.items():
        (ref / name).parent.mkdir(parents=True, exist_ok=True)
        sf.write(ref / f"{name}.wav", x.T, SR)
        if name != "lonely":  # no decoded file for this one
            (dec / name).parent.mkdir(parents=True, exist_ok=True)
            sf.write(dec / f"{name}.flac", degrade(x, 20.0).T.clip(-1, 1), SR)  # other format: matched by stem
    return ref, dec


def _cfg(repo_root, overrides):
    with initialize_config_dir(str(repo_root / "conf"), version_base="1.3"):
        return compose("evaluate", overrides=overrides)


def test_pair_jobs_match_by_relative_path(dirs):
    jobs, missing = pair_jobs(*dirs)
    assert [j.item for j in jobs] == ["a/one.wav", "a/two.wav", "silent.wav"]
    assert missing == ["lonely.wav"]


def test_directory_pair_mode_outputs(dirs, tmp_path, repo_root):
    out = tmp_path / "eval"
    cfg = _cfg(
        repo_root,
        [f"reference_dir={dirs[0]}", f"decoded_dir={dirs[1]}", f"output_dir={out}", "metrics=fast", "num_workers=0"],
    )
    result = evaluate(cfg)
    saved = json.loads((out / "metrics.json").read_text())
    assert saved == json.loads(json.dumps(result)) and set(saved) == {"metrics", "bitrate", "config"}
    names = list(cfg.metrics.names)
    assert list(saved["metrics"]) == names
    for agg in saved["metrics"].values():
        assert set(agg) == {
            "mean",
            "std",
            "ci95",
            "n",
            "n_excluded",
            "excluded",
            "codec_failed",
            "codec_failed_reasons",
        }
        assert agg["n"] + agg["n_excluded"] == 4
    pesq = saved["metrics"]["pesq_wb"]
    assert pesq["n"] == 2 and pesq["excluded"] == {"silent reference": 1, "missing decoded file": 1}
    assert 1.0 < pesq["mean"] < 4.64
    assert saved["metrics"]["rtf_encode"]["excluded"] == {NO_CODEC: 3, "missing decoded file": 1}

    with open(out / "per_item.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert rows[0].keys() == {"item", *names, *(f"{n}_error" for n in names)}
    by_item = {r["item"]: r for r in rows}
    assert by_item["silent.wav"]["stoi"] == "" and by_item["silent.wav"]["stoi_error"] == "silent reference"
    assert float(by_item["a/one.wav"]["stoi"]) > 0.5 and by_item["a/one.wav"]["stoi_error"] == ""


def test_exactly_one_mode(dirs, repo_root):
    with pytest.raises(ValueError, match="choose one mode"):
        evaluate(_cfg(repo_root, [f"reference_dir={dirs[0]}"]))
    with pytest.raises(ValueError, match="choose one mode"):
        evaluate(_cfg(repo_root, [f"reference_dir={dirs[0]}", f"decoded_dir={dirs[1]}", "run_dir=x"]))


def test_unknown_metric_in_config(dirs, tmp_path, repo_root):
    cfg = _cfg(
        repo_root,
        [f"reference_dir={dirs[0]}", f"decoded_dir={dirs[1]}", "metrics.names=[pesq_xx]", f"output_dir={tmp_path}"],
    )
    with pytest.raises(ValueError, match="unknown metric"):
        evaluate(cfg)


def test_degenerate_decoded_files_score_worst_and_show_in_the_report(tmp_path, repo_root):
    """Silent, NaN, 0-sample and 0-byte decoded files against real speech: worst values, counted as
    codec_failed in metrics.json, per_item.csv and the sweep report; a silent REFERENCE is still excluded."""
    from src.report import write_report
    from tests.reporting.sweep_factory import make_job

    ref, dec = tmp_path / "ref", tmp_path / "dec"
    ref.mkdir(), dec.mkdir()
    speech = {
        k: speechlike(1.5, SR, seed)
        for k, seed in (("good", 1), ("silent", 2), ("nan", 3), ("empty", 4), ("zero_bytes", 5))
    }
    for name, x in speech.items():
        sf.write(ref / f"{name}.wav", x.T, SR)
    sf.write(ref / "silent_ref.wav", np.zeros((SR, 1)), SR)
    sf.write(dec / "good.wav", degrade(speech["good"], 20.0).T.clip(-1, 1), SR)
    sf.write(dec / "silent.wav", np.zeros((speech["silent"].shape[1], 1)), SR)
    nan = speech["nan"].T.astype(np.float32)
    nan[100] = np.nan
    sf.write(dec / "nan.wav", nan, SR, subtype="FLOAT")
    sf.write(dec / "empty.wav", np.zeros((0, 1)), SR)
    (dec / "zero_bytes.wav").write_bytes(b"")
    sf.write(dec / "silent_ref.wav", speech["good"].T, SR)
    sweep = tmp_path / "sweep"
    make_job(sweep, 0, ["quantizer=rvq"])
    out = sweep / "0" / "eval"
    names = ["pesq_wb", "stoi", "si_sdr", "mel_distance"]
    evaluate(
        _cfg(
            repo_root,
            [
                f"reference_dir={ref}",
                f"decoded_dir={dec}",
                f"output_dir={out}",
                f"metrics.names=[{','.join(names)}]",
                "num_workers=0",
            ],
        )
    )
    metrics = json.loads((out / "metrics.json").read_text())["metrics"]
    for name in names:
        agg = metrics[name]
        assert agg["codec_failed"] == 4 and agg["n"] == 5, (name, agg)
        assert agg["codec_failed_reasons"] == {
            "silent decoded": 1,
            "non-finite samples in decoded": 1,
            "empty decoded": 2,
        }
        assert agg["excluded"] == {"silent reference": 1}
    assert metrics["pesq_wb"]["mean"] == pytest.approx((4 * 1.0 + _good(out, "pesq_wb")) / 5)
    assert metrics["si_sdr"]["mean"] < -35  # silence no longer scores 0 dB
    rows = _rows(out)
    assert rows["silent.wav"]["pesq_wb"] == "1" and rows["silent.wav"]["pesq_wb_error"].startswith("codec failed")
    report = write_report(sweep, plots=False)
    md, table = report["report.md"].read_text(), list(csv.DictReader(report["report.csv"].open()))
    assert "(4 codec-failed)" in md and "(1 excl.)" in md
    assert table[0]["eval/pesq_wb/codec_failed"] == "4"


def _rows(out):
    with open(out / "per_item.csv", newline="") as f:
        return {r["item"]: r for r in csv.DictReader(f)}


def _good(out, name):
    return float(_rows(out)["good.wav"][name])
