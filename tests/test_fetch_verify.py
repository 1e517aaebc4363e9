"""What fetch checks before an egg from a local folder counts as fetched: whole zips that are
eggs, a source replaced since it was copied, and a folder egg's symlinks in its digest."""
from __future__ import annotations

import os
import zipfile

from migrate.fetch.fetching import FetchOptions, fetch
from migrate.fetch.net import NetOptions
from migrate.fetch.selection import Selection
from migrate.fetch.verify import tree_digest
from tests.servers import sha256_file

COPY = FetchOptions(net=NetOptions(backoff=0.01, retries=1), hardlink=False)


def _only(report):
    (result,) = report.results
    return result


def test_a_zip_with_a_bad_crc_is_not_fetched(tmp_path):
    """Same size, one byte changed: the zip opens, only the CRC check can tell."""
    data = b"VALUE = 'the right bytes'\n"
    egg = tmp_path / "src" / "crc-1.0-py2.7.egg"
    egg.parent.mkdir()
    with zipfile.ZipFile(egg, "w") as zf:
        zf.writestr("EGG-INFO/PKG-INFO", "Metadata-Version: 1.0\nName: crc\nVersion: 1.0\n")
        zf.writestr(zipfile.ZipInfo("crc.py"), data, compress_type=zipfile.ZIP_STORED)
    egg.write_bytes(egg.read_bytes().replace(data, data.replace(b"right", b"wrong")))
    result = _only(fetch(str(egg.parent), tmp_path / "eggs", Selection(), options=COPY))
    assert result.status == "failed" and "CRC" in result.reason, result
    assert not (tmp_path / "eggs" / egg.name).exists()


def test_a_zip_without_egg_info_is_not_an_egg(tmp_path):
    egg = tmp_path / "src" / "plain-1.0-py2.7.egg"
    egg.parent.mkdir()
    with zipfile.ZipFile(egg, "w") as zf:
        zf.writestr("plain.py", "X = 1\n")
    result = _only(fetch(str(egg.parent), tmp_path / "eggs", Selection(), options=COPY))
    assert result.status == "failed" and "EGG-INFO" in result.reason, result
    assert not (tmp_path / "eggs" / egg.name).exists()


def _stored_egg(path, value: str):
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("EGG-INFO/PKG-INFO", "Metadata-Version: 1.0\nName: Foo\nVersion: 1.0\n")
        zf.writestr(zipfile.ZipInfo("foo.py"), f"X = {value}\n", compress_type=zipfile.ZIP_STORED)
    return path


def test_a_source_replaced_with_the_same_size_is_copied_again(tmp_path):
    src = tmp_path / "src"
    egg = _stored_egg(src / "Foo-1.0-py2.7.egg", "1")
    size = egg.stat().st_size
    dest = tmp_path / "eggs"
    assert _only(fetch(str(src), dest, Selection(), options=COPY)).sha256 == sha256_file(egg)
    _stored_egg(egg, "2")  # same size, other bytes
    assert egg.stat().st_size == size
    later = egg.stat().st_mtime_ns + 5_000_000_000
    os.utime(egg, ns=(later, later))
    again = _only(fetch(str(src), dest, Selection(), options=COPY))
    assert again.status != "already-verified", again
    assert sha256_file(dest / egg.name) == sha256_file(egg)


def test_a_folder_eggs_digest_covers_where_its_symlinks_point(tmp_path):
    """Two folder eggs that differ only in a symlink's target are not the same egg."""
    digests = []
    for n, target in enumerate(("a.txt", "b.txt")):
        root = tmp_path / f"egg{n}"
        (root / "EGG-INFO").mkdir(parents=True)
        (root / "EGG-INFO" / "PKG-INFO").write_text("Name: x\n")
        (root / "a.txt").write_text("same")
        (root / "b.txt").write_text("same")
        os.symlink(target, root / "link")
        digests.append(tree_digest(root)[0])
    assert digests[0] != digests[1]
