"""The run's records live on disk (RecordLog), and the manifest and report.html are written from
them one record at a time: same bytes as before, memory flat in the number of eggs."""
from __future__ import annotations

import json
import os
import weakref
from pathlib import Path

import pytest

from migrate import problems as P
from migrate.fsutil import json_chunks, write_chunks_if_changed
from migrate.records import CONVERTED, FAILED, SKIPPED, ChosenTags, EggRecord, Source, WheelFile
from migrate.run import manifest
from migrate.run.htmlreport import html_chunks, render_html
from migrate.run.recordlog import RecordLog, picked
from migrate.run.textreport import render_report, report_chunks
from tests import read_only


def _record(n: int) -> EggRecord:
    """Records of every status, with text JSON must escape (quotes, newlines, non-ASCII, a lone surrogate)."""
    name = f"proj{n % 7}-1.{n}-py2.7.egg"
    src = Source(f"/eggs/{name}", f"https://example.org/{name}", f"{n:064x}", 1000 + n)
    status = (CONVERTED, FAILED, SKIPPED)[n % 3]
    wheel = None
    if status == CONVERTED:
        tags = ChosenTags("py2-none-any", "py2", "none", "any", {"python": "egg built for \"py2.7\"\nonly"})
        wheel = WheelFile(f"proj{n % 7}-1.{n}-py2-none-any.whl", f"/out/wheels/w{n}.whl", f"{n:064x}", 10 + n, tags)
    return EggRecord(f"/eggs/{name}", src, status, None if wheel else f"why ü \udce9 {n}", f"proj{n % 7}", f"1.{n}",
                     egg_version=f"1.{n}", wheel=wheel, external_libraries=("libz.so.1",) if n % 4 else (),
                     problems=(P.warning("W001", f"warn {n}"),) if n % 2 else (),
                     binaries=({"path": "a.so", "needed": ["libc.so.6"]},), entry_points={"g": {"n": "m:f"}})


RECORDS = [_record(n) for n in range(23, 0, -1)]  # not in egg-path order: the writers sort


def test_the_log_is_a_sequence_of_the_records_and_leaves_no_file(tmp_path):
    log = RecordLog(RECORDS[:3], folder=tmp_path)
    log += RECORDS[3:]
    assert len(log) == len(RECORDS) and log == RECORDS and list(log) == RECORDS
    assert log[0] == RECORDS[0] and log[-1] == RECORDS[-1] and log[2:4] == RECORDS[2:4]
    with pytest.raises(IndexError):
        log[len(RECORDS)]
    assert [(a.egg, b.egg) for a in log for b in log][:2] == [(RECORDS[0].egg, RECORDS[0].egg),
                                                            (RECORDS[0].egg, RECORDS[1].egg)]  # walks nest
    assert list(picked(log, [5, 1])) == [RECORDS[5], RECORDS[1]]
    assert list(tmp_path.iterdir()) == []  # an unnamed temp file: nothing for a killed run to leave behind


def test_the_order_is_found_once_per_key_and_found_again_after_an_append(tmp_path, monkeypatch):
    from migrate.run.recordlog import egg_order

    log = RecordLog(RECORDS[:-1], folder=tmp_path)
    want = sorted(RECORDS[:-1], key=egg_order)
    assert list(log.sorted_by(egg_order)) == want
    reads = []
    real = RecordLog.__getitem__
    monkeypatch.setattr(RecordLog, "__getitem__", lambda self, i: (reads.append(i), real(self, i))[1])
    assert list(log.sorted_by(egg_order)) == want and len(reads) == len(want)  # no second pass for the keys
    log.append(RECORDS[-1])
    assert list(log.sorted_by(egg_order)) == sorted(RECORDS, key=egg_order)


def test_runs_sorted_apart_and_merged_give_the_order_of_sorted(tmp_path, monkeypatch):
    """Sorted in runs of 4 records and merged: the order of ``sorted`` (stable: equal keys keep the
    log's order), whether the records end a run or not."""
    from migrate.run import recordlog

    monkeypatch.setattr(recordlog, "RUN", 4)
    for count in (0, 1, 4, 5, len(RECORDS)):
        log = RecordLog(RECORDS[:count], folder=tmp_path)
        for key in (recordlog.egg_order, lambda r: r.status):  # the status: many equal keys
            assert list(log.sorted_by(key)) == sorted(RECORDS[:count], key=key)


def _reference_manifest(records) -> str:
    return json.dumps(manifest.manifest(records), indent=2, ensure_ascii=False) + "\n"


@pytest.mark.parametrize("count", [0, 1, len(RECORDS)])
def test_the_streamed_manifest_has_the_bytes_of_the_whole_dump(count, tmp_path):
    records = RECORDS[:count]
    log = RecordLog(records, folder=tmp_path)
    assert "".join(manifest.manifest_chunks(log)) == _reference_manifest(records)
    assert manifest.manifest_text(records) == _reference_manifest(records)
    assert "".join(html_chunks(log, tmp_path, tmp_path / "mirror")) == render_html(records, tmp_path, tmp_path / "mirror")
    whole = render_report(records, mirror="out/mirror", requirements="requirements.txt")
    assert "".join(report_chunks(log, mirror="out/mirror", requirements="requirements.txt")) == whole
    assert all(f"{Path(r.egg).name}: {r.reason}\n" in whole for r in records if r.reason)  # through the temp files
    extra = "Pins\n  two lines\n\n"
    head, steps = whole.split("Next steps\n")
    assert "".join(report_chunks(log, "out/mirror", "requirements.txt", extra=extra)) == head + extra + "Next steps\n" + steps


class _Watched(RecordLog):
    """A log that counts how many of the records it handed out are still alive somewhere."""

    def __init__(self, records, folder):
        super().__init__(records, folder=folder)
        self.alive: list[weakref.ref] = []

    def __getitem__(self, i):
        record = super().__getitem__(i)
        self.alive.append(weakref.ref(record))
        return record

    def held(self) -> int:
        return sum(1 for ref in self.alive if ref() is not None)


@pytest.mark.parametrize("writer", [manifest.manifest_chunks, report_chunks,
                                    lambda log: html_chunks(log, Path("/out"), Path("/out/mirror"))])
def test_the_writers_hold_one_record_at_a_time(writer, tmp_path):
    """Structural guard for a run's memory: the writers never hold the records, only the one being written."""
    log = _Watched(RECORDS, tmp_path)
    most = 0
    for _chunk in writer(log):
        most = max(most, log.held())
    assert len(log.alive) >= len(RECORDS) and most <= 1


def test_a_streamed_write_keeps_an_unchanged_file_and_replaces_a_changed_one(tmp_path):
    path = tmp_path / "manifest.json"
    assert write_chunks_if_changed(path, ["ab", "c\n"]) is True
    os.utime(path, (1, 1))
    assert write_chunks_if_changed(path, ["a", "bc\n"]) is False and path.stat().st_mtime == 1
    assert write_chunks_if_changed(path, ["a", "bc"]) is True and path.read_text() == "abc"  # a prefix of the old
    assert write_chunks_if_changed(path, ["abc", "d"]) is True and path.read_text() == "abcd"
    assert write_chunks_if_changed(path, ["ab", "xd"]) is True and path.read_text() == "abxd"  # same length
    assert [p.name for p in tmp_path.iterdir()] == ["manifest.json"]  # no temp file left either way


@pytest.mark.parametrize("ensure_ascii", [True, False])
@pytest.mark.parametrize("items", [[], [1], [{"x": "é\n", "y": [1, {}]}, [], "s", None]])
def test_json_chunks_are_json_dumps_in_pieces(items, ensure_ascii):
    """The list may sit anywhere among the keys (fetch-manifest.json has keys after its eggs), and the
    values may hold anything, even text shaped like the placeholder the pieces are cut at."""
    obj = {"a": "ü \x00", "eggs": None, "z": [f"\x00items-{n}\x00" for n in range(3)], "w": {}}
    want = json.dumps({**obj, "eggs": items}, indent=2, ensure_ascii=ensure_ascii) + "\n"
    assert "".join(json_chunks(obj, "eggs", iter(items), ensure_ascii)) == want


def test_the_published_list_keeps_no_record_and_no_tags(tmp_path):
    """publish and pin hold the served wheels for the whole stage: name, path, hash and size only."""
    from migrate.run.publishing import published
    from migrate.run.stage import RunOptions

    log = _Watched(RECORDS, tmp_path)
    served = list(published(RunOptions(out=tmp_path), log))
    assert [w.filename for w in served] == sorted(r.wheel.filename for r in RECORDS if r.status == CONVERTED)
    assert log.held() == 0 and all(isinstance(part, (str, int)) for w in served for part in w)


@pytest.mark.parametrize("base_url", [None, "https://example.org/m/"])
def test_the_published_fingerprint_is_hashed_as_it_is_made_and_is_the_same_value(tmp_path, base_url):
    """The stamp a run left must still match (or every run after the change would publish again): the
    fingerprint hashed piece by piece equals the one made from the whole list."""
    from migrate.run import runstate
    from migrate.run.publishing import published, published_fingerprint
    from migrate.run.stage import RunOptions

    options = RunOptions(out=tmp_path, base_url=base_url)
    log = RecordLog(RECORDS, tmp_path)
    whole = runstate.fingerprint({"wheels": [(w.filename, w.sha256) for w in published(options, log)],
                                  "base_url": base_url})
    assert published_fingerprint(options, log) == whole
    assert published_fingerprint(options, log[:1]) != whole  # it does depend on the wheels


def test_an_unchanged_streamed_write_makes_no_file(tmp_path):
    """A re-run whose manifest did not change writes nothing: it even succeeds in a folder the
    kernel refuses to write into, and a changed one is refused there with the file named."""
    out = tmp_path / "out"
    out.mkdir()
    path = out / "manifest.json"
    assert write_chunks_if_changed(path, ["x" * 3000, "y\n"]) is True
    with read_only.folder(out, "immutable"):
        assert write_chunks_if_changed(path, ["x" * 1000, "x" * 2000 + "y", "\n"]) is False
        with pytest.raises(OSError) as refused:
            write_chunks_if_changed(path, ["x" * 3000, "z\n"])
    assert str(path) in str(refused.value) and path.read_text() == "x" * 3000 + "y\n"
    assert write_chunks_if_changed(path, ["x" * 3000, "z\n"]) is True and path.read_text() == "x" * 3000 + "z\n"
