"""SpillList and Buckets: the values come back as they went in, in order, from memory and from the temp
file alike; at most ``limit`` values are held in memory, and each chunk is one pickle, one write."""
from __future__ import annotations

import os
import pickle
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from migrate.spill import Buckets, SpillList

VALUES = st.lists(st.one_of(st.integers(), st.text(max_size=20), st.tuples(st.text(max_size=5), st.integers())),
                  max_size=60)


@settings(max_examples=60, deadline=None)
@given(VALUES, st.integers(min_value=1, max_value=9))
def test_a_spill_list_is_the_list_it_was_given(values, limit):
    log = SpillList(values, limit=limit)
    assert len(log) == len(values) and list(log) == values and log == values
    assert [log[n] for n in range(len(values))] == values  # in order: a chunk read once, then kept
    assert [log[n] for n in reversed(range(len(values)))] == values[::-1]
    assert [log[-n] for n in range(1, len(values) + 1)] == [values[-n] for n in range(1, len(values) + 1)]
    with pytest.raises(IndexError):
        log[len(values)]
    log.close()
    assert len(log) == 0 and list(log) == []


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(min_value=0, max_value=4), st.integers()), max_size=60),
       st.integers(min_value=1, max_value=9))
def test_buckets_give_back_each_numbers_values_in_the_order_added(filed, limit):
    buckets: Buckets[int] = Buckets(5, limit=limit)
    for i, value in filed:
        buckets.add(i, value)
    for i in range(5):
        assert list(buckets.bucket(i)) == [v for n, v in filed if n == i]
        assert buckets.size(i) == sum(1 for n, _v in filed if n == i)
    assert buckets.filled() == sorted({n for n, _v in filed}) and len(buckets) == len(filed)
    assert list(buckets) == [v for i in range(5) for n, v in filed if n == i]


def test_a_walk_sees_the_values_there_when_it_started_even_as_more_are_added_and_written():
    log = SpillList(range(5), limit=3)
    walked = []
    for value in log:
        walked.append(value)
        log.append(100 + value)  # spills a chunk every third value
    assert walked == [0, 1, 2, 3, 4]
    assert list(log) == [0, 1, 2, 3, 4, 100, 101, 102, 103, 104]
    assert [list(log)[:2] for _ in log][:1] == [[0, 1]]  # walks nest


class _Counted:
    """A value whose live instances are counted (pickled and read back as a new one)."""

    alive = 0

    def __init__(self, n: int):
        self.n = n
        _Counted.alive += 1

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        _Counted.alive += 1

    def __del__(self):
        _Counted.alive -= 1


def test_at_most_limit_values_are_held_and_a_walk_holds_one_chunk(monkeypatch):
    writes = []
    real_pwrite = os.pwrite
    monkeypatch.setattr(os, "pwrite", lambda fd, data, at: writes.append(len(data)) or real_pwrite(fd, data, at))
    dumps = []
    real_dumps = pickle.dumps
    monkeypatch.setattr(pickle, "dumps", lambda value, **kw: dumps.append(len(value)) or real_dumps(value, **kw))
    log = SpillList(limit=4)
    most = 0
    for n in range(40):
        log.append(_Counted(n))
        most = max(most, _Counted.alive)
    assert most <= 4 and _Counted.alive == 0  # all 40 are in the file, none in memory
    assert dumps == [4] * 10 and len(writes) == 10  # a pickle and a write per chunk, not per value
    most = 0
    for n, value in enumerate(log):
        assert value.n == n
        del value
        most = max(most, _Counted.alive)
    assert most <= 4
    buckets: Buckets[_Counted] = Buckets(3, limit=5)
    for n in range(40):
        buckets.add(n % 3, _Counted(n))
        most = max(most, _Counted.alive)
    assert most <= 5 and [v.n for v in buckets.bucket(1)] == list(range(1, 40, 3))


def test_nothing_is_written_while_the_values_fit_and_the_file_has_no_name(tmp_path):
    log = SpillList(range(10), folder=tmp_path, limit=10_000)
    assert log._chunks.file is None and list(log) == list(range(10))
    log = SpillList(range(10), folder=tmp_path, limit=3)
    assert log._chunks.file is not None and list(log) == list(range(10))
    assert list(tmp_path.iterdir()) == []  # nothing to sweep after a kill
