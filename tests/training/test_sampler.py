"""The resumable sampler: shards are disjoint and equal, epochs reshuffle, a start offset resumes exactly."""

import pytest

from src.training.sampler import ResumableShardSampler


def test_shards_disjoint_equal_and_whole_batches():
    shards = [list(ResumableShardSampler(23, 3, rank=r, world_size=2, seed=1)) for r in range(2)]
    assert len(shards[0]) == len(shards[1]) == 9  # 11 per rank -> 3 whole batches of 3
    assert not set(shards[0]) & set(shards[1])


def test_epochs_reshuffle_and_offset_resumes():
    s = ResumableShardSampler(20, 2, seed=3)
    s.set_epoch(0)
    e0 = list(s)
    s.set_epoch(1)
    e1 = list(s)
    assert e0 != e1 and sorted(e0) == sorted(e1)
    s.set_epoch(1, start_batch=4)
    assert list(s) == e1[8:] and len(s) == len(e1) - 8


def test_too_small_dataset_is_a_clear_error():
    with pytest.raises(ValueError, match="data.batch_size"):
        ResumableShardSampler(3, 2, rank=0, world_size=2)
