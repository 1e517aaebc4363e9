"""jsonstream.list_items reads the items of one list of a JSON object as json.loads would, an item
at a time: a run reads the last manifest.json (60 MB at 16,000 eggs) without holding all of it."""
import io
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from migrate.jsonstream import list_items

_SCALARS = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8)
_VALUES = st.recursive(_SCALARS, lambda inner: st.lists(inner, max_size=4)
                       | st.dictionaries(st.text(max_size=6), inner, max_size=4), max_leaves=12)


def _items(text: str, chunk: int, key: str = "eggs") -> list:
    return list(list_items(io.StringIO(text), key, chunk=chunk))


@settings(max_examples=60, deadline=None)
@given(doc=st.dictionaries(st.text(max_size=6), _VALUES, max_size=4), eggs=st.none() | st.lists(_VALUES, max_size=6),
       indent=st.sampled_from([None, 0, 2]), chunk=st.integers(1, 40))
def test_the_items_are_those_json_loads_gives_at_every_buffer_size(doc, eggs, indent, chunk):
    if eggs is not None:
        doc["eggs"] = eggs
    text = json.dumps(doc, indent=indent)
    loaded = json.loads(text).get("eggs")
    assert _items(text, chunk) == (loaded if isinstance(loaded, list) else [])


@pytest.mark.parametrize("text", ["[1, 2]", "3", '"eggs"', "null"])
def test_a_document_that_is_no_object_has_no_items(text):
    assert _items(text, 2) == []


@pytest.mark.parametrize("text", ['{"eggs": [1, 2', '{"eggs": [1, 2]', '{"eggs": [1 2]}', '{"eggs": [1, 2]} x',
                                  "", '{"a": tru}', '{"eggs": [1, 2],}', '{"eggs": [1,]}', '{1: 2}', "[1, 2"])
def test_what_json_loads_refuses_is_refused(text):
    with pytest.raises(ValueError):
        json.loads(text)
    with pytest.raises(ValueError):
        _items(text, 3)


def test_items_come_before_the_rest_of_the_file_is_read():
    """The first item is handed over while the fault near the end is still unread: one item at a time."""
    text = '{"eggs": [{"n": 1}, {"n": 2}' + " " * 1000 + ', oops]}'
    items = list_items(io.StringIO(text), "eggs", chunk=16)
    assert next(items) == {"n": 1}
    assert next(items) == {"n": 2}
    with pytest.raises(ValueError):
        next(items)


def test_a_number_cut_by_the_buffer_is_read_whole():
    assert _items('{"eggs": [1234567, 89, 0.5e-3]}', 12) == [1234567, 89, 0.5e-3]
    assert _items('{"eggs": [1.25]}', 12) == [1.25]  # the buffer ends at "1.", which parses as 1
