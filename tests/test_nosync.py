"""The test processes' ``os.fsync`` (tests/nosync.py) refuses what the real one refuses."""
from __future__ import annotations

import errno
import os

import pytest

from tests import nosync


def test_the_test_processes_fsync_is_the_checked_one_unless_asked_for_the_real():
    assert os.fsync is (nosync.REAL_FSYNC if os.environ.get(nosync.KEEP_ENV) else nosync.fsync_checked)


def test_a_closed_descriptor_or_a_pipe_is_refused_as_fsync_refuses_it(tmp_path):
    with open(tmp_path / "file", "wb") as handle:
        nosync.fsync_checked(handle)
        nosync.fsync_checked(handle.fileno())
    folder = os.open(tmp_path, os.O_RDONLY)
    nosync.fsync_checked(folder)
    os.close(folder)
    with pytest.raises(OSError) as closed:
        nosync.fsync_checked(folder)
    assert closed.value.errno == errno.EBADF
    read, write = os.pipe()
    try:
        with pytest.raises(OSError) as pipe:
            nosync.fsync_checked(write)
        assert pipe.value.errno == errno.EINVAL
    finally:
        os.close(read)
        os.close(write)
