"""The process-pool maps: every result, in input order, however many tasks there are."""
from __future__ import annotations

import gc
import multiprocessing

import pytest

from migrate import fsutil
from migrate.parallel import bounded_map, parallel_map, paused_gc, streamed_map


def test_bounded_map_returns_every_result_in_order():
    tasks = iter(range(-40, 0))  # an iterator, many more tasks than it keeps waiting (2 per worker)
    assert list(bounded_map(abs, tasks, 2)) == list(range(40, 0, -1))
    assert list(bounded_map(abs, iter([]), 2)) == []


def test_parallel_map_returns_every_result_in_order():
    assert list(parallel_map(abs, list(range(-40, 0)), 2)) == list(range(40, 0, -1))


def test_paused_gc_restores_what_it_found():
    assert gc.isenabled()
    with paused_gc():
        assert not gc.isenabled()
        with paused_gc():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the inner one found it paused and leaves it paused
    assert gc.isenabled()


def _temp_tag(_: int) -> str:
    return fsutil.temp_tag()


@pytest.mark.parametrize("start", ["fork", "spawn"])
def test_pool_workers_name_temp_files_with_the_parents_tag(start):
    """A run's sweep removes only temp names carrying its recorded token: its workers must carry it
    too, forked (inherited) or spawned (handed over by the pool's initializer)."""
    was = multiprocessing.get_start_method()
    multiprocessing.set_start_method(start, force=True)
    old = fsutil.set_temp_tag("feedfacecafe")
    try:
        assert list(parallel_map(_temp_tag, [1, 2, 3, 4], 2)) == ["feedfacecafe"] * 4
    finally:
        fsutil.set_temp_tag(old)
        multiprocessing.set_start_method(was, force=True)


def test_streamed_map_takes_its_tasks_as_it_goes_and_keeps_their_order():
    made = [0]

    def tasks():
        for n in range(-200, 0):
            made[0] += 1
            yield n

    taken = 0
    for result in streamed_map(abs, tasks(), 2, 200):
        taken += 1
        assert made[0] - taken <= 4 * 2 * 16 + 16  # chunks of 16, at most 4 per worker waiting and one more
    assert taken == 200
    assert list(streamed_map(abs, iter([-1]), 2, 1)) == [1]
