"""A run directory's config.yaml is data: it may only build the project's own components.

The attack of issue 11: `encoder` writes a protocol-0 (text) pickle with pathlib.Path.write_text, then
`quantizer` unpickles it with numpy.load(allow_pickle=True), which runs `exec`. Nothing may be written
and nothing may run; the error names the key and the target.
"""

from pathlib import Path

import pytest
import yaml
from omegaconf import OmegaConf

from src.build import load_codec
from src.safe_instantiate import (
    UnsafeTargetError,
    allowed_prefixes,
    check_target,
    checked_config,
    safe_instantiate,
)


def _attack_run_dir(tmp_path: Path) -> tuple[Path, Path, Path]:
    """-> (run_dir, the pickle the encoder would write, the file the pickle would create)."""
    run_dir, payload, pwned = tmp_path / "run", tmp_path / "payload.pkl", tmp_path / "pwned"
    run_dir.mkdir()
    pickle_text = f"cbuiltins\nexec\n(Vopen({str(pwned)!r}, 'w').write('owned')\ntR."
    config = {
        "sample_rate": 16000,
        "channels": 1,
        "encoder": {
            "_target_": "pathlib.Path.write_text",
            "_args_": [{"_target_": "pathlib.Path", "_args_": [str(payload)]}, pickle_text],
        },
        "quantizer": {"_target_": "numpy.load", "file": str(payload), "allow_pickle": True},
        "decoder": {"_target_": "src.decoder.seanet.SEANetDecoder"},
        "head": {"_target_": "src.head.waveform.WaveformHead"},
    }
    (run_dir / "config.yaml").write_text(yaml.safe_dump(config))
    (run_dir / "codec.safetensors").write_bytes(b"")  # never reached
    return run_dir, payload, pwned


def test_codec_load_refuses_the_write_then_unpickle_chain(tmp_path):
    run_dir, payload, pwned = _attack_run_dir(tmp_path)
    with pytest.raises(UnsafeTargetError) as err:
        load_codec(run_dir)
    assert not payload.exists() and not pwned.exists(), "the config ran code"
    assert "encoder._target_" in str(err.value) and "pathlib.Path.write_text" in str(err.value)


def _evaluate_cfg(repo_root: Path, overrides: list[str]):
    from hydra import compose, initialize_config_dir

    with initialize_config_dir(str(repo_root / "conf"), version_base="1.3"):
        return compose("evaluate", overrides=overrides)


@pytest.mark.parametrize("mode", ["run_dir", "checkpoint"])
def test_evaluate_refuses_the_chain(tmp_path, repo_root, mode):
    from src.evaluate import evaluate

    run_dir, payload, pwned = _attack_run_dir(tmp_path)
    source = run_dir if mode == "run_dir" else run_dir / "codec.safetensors"
    with pytest.raises(UnsafeTargetError, match=r"encoder\._target_` = 'pathlib\.Path\.write_text'"):
        evaluate(
            _evaluate_cfg(
                repo_root, [f"{mode}={source}", "metrics=fast", "num_workers=0", f"output_dir={tmp_path / 'eval'}"]
            )
        )
    assert not payload.exists() and not pwned.exists() and not (tmp_path / "eval").exists()


SEANET = {"_target_": "src.encoder.seanet.SEANetEncoder"}


@pytest.mark.parametrize(
    "config, key, target",
    [
        # a target hidden where Hydra instantiates recursively: a nested node, a list item, _args_, _partial_
        (
            {"encoder": {**SEANET, "norm": {"_target_": "os.system", "_args_": ["true"]}}},
            "encoder.norm._target_",
            "os.system",
        ),
        (
            {"quantizer": {"_target_": "src.quantizer.rvq.ResidualVQ", "layers": [1, {"_target_": "builtins.exec"}]}},
            "quantizer.layers[1]._target_",
            "builtins.exec",
        ),
        (
            {"encoder": {**SEANET, "_args_": [{"_target_": "subprocess.run"}]}},
            "encoder._args_[0]._target_",
            "subprocess.run",
        ),
        ({"encoder": {"_target_": "shutil.rmtree", "_partial_": True}}, "encoder._target_", "shutil.rmtree"),
        # an interpolation that brings a target into a component node (resolved before the check)
        ({"encoder": {**SEANET, "x": "${evil}"}, "evil": {"_target_": "os.remove"}}, "encoder.x._target_", "os.remove"),
        # inside an allowed package, but not a class defined there: an import reached through a project module,
        # a project function that writes files, a module
        ({"encoder": {"_target_": "src.encoder.seanet.nn.Linear"}}, "encoder._target_", "src.encoder.seanet.nn.Linear"),
        ({"data": {"_target_": "src.data.audio.write_audio"}}, "data._target_", "src.data.audio.write_audio"),
        ({"encoder": {"_target_": "src.encoder.seanet"}}, "encoder._target_", "src.encoder.seanet"),
        ({"encoder": {"_target_": "src.encoderx.Evil"}}, "encoder._target_", "src.encoderx.Evil"),
    ],
)
def test_every_target_in_the_tree_is_checked(config, key, target):
    with pytest.raises(UnsafeTargetError) as err:
        checked_config(OmegaConf.create(config), path="")
    assert f"`{key}` = {target!r}" in str(err.value)


def test_nothing_is_called_while_checking(tmp_path):
    """The refusal comes from the walk, before Hydra sees the node: a target later in the tree is never
    reached even when an earlier one would have run."""
    marker = tmp_path / "touched"
    cfg = OmegaConf.create(
        {
            "encoder": {
                "_target_": "pathlib.Path.touch",
                "_args_": [{"_target_": "pathlib.Path", "_args_": [str(marker)]}],
            }
        }
    )
    with pytest.raises(UnsafeTargetError):
        safe_instantiate(cfg.encoder, "encoder")
    assert not marker.exists()


def test_user_prefixes_extend_the_allowlist():
    cfg = OmegaConf.create({"data": {"_target_": "tests.training.toy_components.ToyData"}})
    with pytest.raises(UnsafeTargetError, match="trusted_targets"):
        checked_config(cfg)
    checked_config(cfg, trusted_targets=["tests.training.toy_components"])
    checked_config(cfg, trusted_targets="tests.training.")  # a comma-separated string, trailing dot
    with pytest.raises(UnsafeTargetError):  # a prefix is a dotted package path, not a string prefix
        checked_config(cfg, trusted_targets=["tests.train"])


def _targets_in(node):
    if isinstance(node, dict):
        if isinstance(node.get("_target_"), str):
            yield node["_target_"]
        for value in node.values():
            yield from _targets_in(value)
    elif isinstance(node, list):
        for value in node:
            yield from _targets_in(value)


def _every_target(root: Path):
    """Every `_target_` a run's config.yaml can hold. Hydra's own node (`hydra:`, e.g. its callbacks) is
    never written into a run's config.yaml, so it is not what load_codec reads."""
    import yaml

    for path in sorted([*root.glob("conf/**/*.yaml"), *root.glob("experiments/**/*.yaml")]):
        body = yaml.safe_load(path.read_text()) or {}
        if isinstance(body, dict):
            body = {k: v for k, v in body.items() if k != "hydra"}
        for target in _targets_in(body):
            yield path.relative_to(root), target


def test_every_shipped_target_is_allowed(repo_root):
    """A component added in a new package would be refused by load_codec: extend PROJECT_PREFIXES then."""
    targets = list(_every_target(repo_root))
    assert len(targets) > 40
    for path, target in targets:
        check_target(target, f"{path}", allowed_prefixes())


def test_a_real_run_directory_loads(tmp_path):
    """A tiny preset codec saved with its resolved config (what src.train writes) loads with no extra trust."""
    import torch

    from src.build import build_codec
    from src.compose import compose_train_config

    cfg = compose_train_config(["preset=tiny"])
    codec = build_codec(cfg)
    codec.save(tmp_path / "codec.safetensors")
    (tmp_path / "config.yaml").write_text(OmegaConf.to_yaml(cfg, resolve=True))
    loaded = load_codec(tmp_path)
    wav = torch.randn(1, 1, 640)
    assert torch.equal(loaded.encode(wav), codec.eval().encode(wav))


def test_the_evaluate_cli_refuses_without_a_traceback(tmp_path, repo_root):
    import os
    import subprocess
    import sys

    run_dir, payload, pwned = _attack_run_dir(tmp_path)
    done = subprocess.run(
        [sys.executable, "-m", "src.evaluate", f"run_dir={run_dir}", "num_workers=0"],
        cwd=repo_root,
        env={**os.environ, "HYDRA_FULL_ERROR": "0", "OMP_NUM_THREADS": "1"},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr[-3000:]
    assert "`encoder._target_` = 'pathlib.Path.write_text'" in done.stderr
    assert not payload.exists() and not pwned.exists() and not (run_dir / "eval").exists()
