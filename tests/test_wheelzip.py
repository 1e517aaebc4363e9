"""WheelZipWriter.add_bytes writes a member in one go: byte for byte what the streaming
add_chunks writes for the same data (so wheels stay the same bytes), readable by zipfile."""
from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path

import pytest

from migrate.wheels.wheelzip import WheelZipWriter

SOURCES = sorted((Path(__file__).resolve().parent.parent / "migrate").rglob("*.py"))
DATA = [b"", b"x", b"Metadata-Version: 1.0\nName: demo\n" * 3, os.urandom(70_000), b"abc" * 200_000,
        "\u00e9\u2603 text\n".encode("utf-8") * 1000] + [p.read_bytes() for p in SOURCES[:20]]


def _zip(add) -> bytes:
    fp = io.BytesIO()
    zw = WheelZipWriter(fp)
    written = [add(zw, f"pkg/m{i}.txt", data, 0o755 if i % 2 else 0o644) for i, data in enumerate(DATA)]
    zw.close()
    assert [w.size for w in written] == [len(d) for d in DATA]
    return fp.getvalue()


@pytest.mark.parametrize("level", [1, 6])
def test_add_bytes_writes_what_add_chunks_writes(level):
    one_go = _zip(lambda zw, name, data, mode: (setattr(zw, "_level", level), zw.add_bytes(name, data, mode))[1])
    streamed = _zip(lambda zw, name, data, mode: (setattr(zw, "_level", level),
                                                 zw.add_chunks(name, [data[:1000], data[1000:]], mode))[1])
    assert one_go == streamed
    with zipfile.ZipFile(io.BytesIO(one_go)) as zf:
        assert zf.testzip() is None
        assert [zf.read(f"pkg/m{i}.txt") for i in range(len(DATA))] == DATA
