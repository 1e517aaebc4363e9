"""Where ``check --smoke`` and the tests look for interpreters (migrate/interpreters.py)."""
from __future__ import annotations

import os
import sys

from migrate import interpreters


def test_pyenv_shims_are_skipped_and_the_path_search_goes_on_past_them(tmp_path, monkeypatch):
    """A shim is a shell script that only runs pyenv's versions (listed from versions/ anyway), and
    costs a quarter of a second to start even to say its command is not there; a real python3.9
    later on PATH is still found."""
    root = tmp_path / "pyenv"
    (root / "shims").mkdir(parents=True)
    shim = root / "shims" / "python3.9"
    shim.write_text("#!/bin/sh\necho 'pyenv: python3.9: command not found' >&2\nexit 127\n")
    shim.chmod(0o755)
    bindir = tmp_path / "bin"
    bindir.mkdir()
    (bindir / "python3.9").symlink_to(sys.executable)
    monkeypatch.setenv("PYENV_ROOT", str(root))
    monkeypatch.setenv("PATH", os.pathsep.join([str(root / "shims"), str(bindir)]))
    assert interpreters.candidate_paths() == [os.path.realpath(sys.executable)]
