"""The process-pool maps: every result, in input order, however many tasks there are."""
from __future__ import annotations

import gc

from migrate.parallel import bounded_map, parallel_map, paused_gc


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
