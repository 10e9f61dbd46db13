"""SweepStatus counts only this sweep's failures: a job re-run into the same sweep dir that now succeeds
is not blamed for an error.txt left by an earlier attempt, and a job dir from an earlier sweep is not a job."""

import os
import time

from src.hydra_callbacks import failed_jobs


def _job(sweep, name, written_at, error_at=None):
    hydra = sweep / name / ".hydra"
    hydra.mkdir(parents=True)
    (hydra / "overrides.yaml").write_text("[]")
    os.utime(hydra / "overrides.yaml", (written_at, written_at))
    if error_at is not None:
        (sweep / name / "error.txt").write_text("Traceback ...\nValueError: boom")
        os.utime(sweep / name / "error.txt", (error_at, error_at))


def test_only_this_sweeps_failures_count(tmp_path):
    start = time.time()
    _job(tmp_path, "0", start + 1, error_at=start - 100)  # re-run now, ok; error.txt is an earlier attempt's
    _job(tmp_path, "1", start + 1, error_at=start + 2)  # failed now
    _job(tmp_path, "2", start - 100)  # not part of this sweep
    _job(tmp_path, "10", start + 1, error_at=start + 3)
    assert failed_jobs(tmp_path, start) == (["1", "10"], 3)
    assert failed_jobs(tmp_path / "missing", start) == ([], 0)
