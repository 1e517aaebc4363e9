"""A publish's per-project state is flat: the pages table holds one state shard in memory, the rest in
a temp file; the first wheels and placed paths are ints in arrays. Proved by what the objects hold
(the objects reachable from them), never by an RSS threshold, and against a dict doing the same."""
from __future__ import annotations

import gc
import random

from migrate.intmap import IntMap
from migrate.mirror.pagetable import PageTable
from migrate.mirror.state import SHARDS, shard


def _reachable(root: object) -> int:
    """How many objects ``root`` holds, itself and all it refers to (modules and types not followed)."""
    seen, todo = {id(root)}, [root]
    while todo:
        obj = todo.pop()
        for ref in gc.get_referents(obj) + (list(obj) if isinstance(obj, dict) else []):  # str keys are not traversed
            if id(ref) not in seen and not isinstance(ref, type) and type(ref).__name__ != "module":
                seen.add(id(ref))
                todo.append(ref)
    return len(seen)


def _page(n: int) -> tuple[str, tuple[str, ...]]:
    return f"{n:032x}", ("ubuntu_14_04",) if n % 5 == 0 else ()


def test_the_pages_table_answers_as_a_dict_does():
    rng = random.Random(7)
    table, model = PageTable(), {}
    for step in range(3000):
        project = f"proj{rng.randrange(600)}"
        action = rng.random()
        if action < 0.6:
            table[project] = model[project] = _page(step)
        elif action < 0.8:
            assert table.pop(project) == model.pop(project, None)
        else:
            assert table.get(project) == model.get(project)
    assert len(table) == len(model)
    assert sorted(table.items()) == sorted(model.items())
    assert list(table.sorted_items()) == sorted(model.items())
    assert sorted(table.values()) == sorted(model.values())
    # a shard's items come together, shard by shard (what lets a walk hold one shard at a time)
    assert [shard(p) for p, _page in table.items()] == sorted(shard(p) for p in model)


def test_a_copy_of_the_pages_table_is_its_own():
    table = PageTable((f"p{n}", _page(n)) for n in range(500))
    copy = table.copy()
    copy["p1"], copy["new"] = _page(9999), _page(1)
    copy.pop("p2")
    table["p3"] = _page(3333)
    assert table.get("p1") == _page(1) and "new" not in table and table.get("p2") == _page(2)
    assert copy.get("p1") == _page(9999) and copy.get("p2") is None and copy.get("p3") == _page(3)
    assert len(table) == 500 and len(copy) == 500


def test_the_pages_table_knows_which_page_folders_a_project_refers_to():
    table = PageTable([("a", ("s1", ("ubuntu_14_04",))), ("b", ("s2", ()))])
    assert table.refers("a", "", "s1") and table.refers("a", "ubuntu_14_04", "s1")
    assert not table.refers("a", "centos_7", "s1") and not table.refers("a", "", "s2")
    assert table.refers("b", "", "s2") and not table.refers("b", "ubuntu_14_04", "s2")
    assert not table.refers("c", "", "s1")


def test_the_pages_table_holds_one_shard_in_memory_however_many_projects():
    """Each project holds a name, a sig and a tuple: as a dict, about four objects a project. The table
    holds those of one shard (~1/64 of them) and a few per shard; walked and merged, the same."""
    held = {}
    for count in (640, 6400):
        table = PageTable((f"project-{n}", _page(n)) for n in range(count))
        for project, page in table.items():  # a walk leaves one shard open
            assert table.get(project) == page
        assert len(list(table.sorted_items())) == count
        held[count] = _reachable(table)
        as_dict = _reachable({f"project-{n}": _page(n) for n in range(count)})
        assert as_dict > 3 * count  # the counting sees a dict's objects
    # ten times the projects: the held objects grow by the one open shard's (4 * 6400 / 64 = 400 at most
    # here), where a dict's grow by 4 * 5760 = 23,040
    assert held[6400] - held[640] < 4 * 6400 // SHARDS + 200, held


def test_the_int_map_answers_as_a_dict_does():
    rng = random.Random(3)
    ints, model = IntMap(), {}
    keys = [rng.randrange(-2**63, 2**63) for _ in range(5000)] + [0, -1, 1, 64, 128, -64]  # alike low bits too
    for n, key in enumerate(keys):
        assert ints.setdefault(key, n) == model.setdefault(key, n)
        assert ints.setdefault(key, n + 1) == model[key]  # a key there keeps its value
    for key in keys + [rng.randrange(-2**63, 2**63) for _ in range(500)]:
        assert ints.get(key) == model.get(key)
        assert (key in ints) == (key in model)
    assert len(ints) == len(model)


def test_the_int_map_holds_arrays_not_an_object_per_key():
    small, big = IntMap(), IntMap()
    for n in range(100):
        small.setdefault(hash(f"k{n}"), n)
    for n in range(20000):
        big.setdefault(hash(f"k{n}"), n)
    assert _reachable(big) == _reachable(small)  # the map, its dict and two arrays; nothing per key
    assert big.get(hash("k19999")) == 19999 and big.get(hash("k20000")) is None


def test_an_int_map_made_for_its_keys_is_never_grown():
    """A publish makes the map of first wheels for as many as it is given: no copying as it fills."""
    ints = IntMap(3000)
    table = ints._keys
    for n in range(3000):
        ints.setdefault(hash(f"k{n}"), n)
    assert ints._keys is table and len(ints) == 3000
    assert all(ints.get(hash(f"k{n}")) == n for n in range(3000))
