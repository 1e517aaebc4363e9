"""The wheels that go into the session's venv of each Python (``installed_venvs``, tests/conftest.py),
all in one pip run: every fixture egg's wheel for that Python, and on 3.10 the made binaries that
must work there (tests/madebinaries.py)."""
from __future__ import annotations

from tests import madebinaries

WHEELS_FOR = {
    "2.7": [
        "cext-1.0-py2.7-linux-x86_64.egg",
        "cpkg-2.0-py2.7-linux-x86_64.egg",
        "nosrc-1.0-py2.7.egg",
        "nsdemo.alpha-1.0-py2.7.egg",
        "nsdemo.beta-1.0-py2.7.egg",
        "purepkg-1.0-py2.7.egg",
        "toolbox-0.5-py2.7.egg",
    ],
    "3.6": ["cext-1.0-py3.6-linux-x86_64.egg"],
    "3.10": [
        "cext-1.0-py3.10-linux-x86_64.egg",
        "cpkg-2.0-py3.10-linux-x86_64.egg",
        "dirpkg-0.3-py3.10.egg",
        "nsdemo.alpha-1.0-py3.10.egg",
        "nsdemo.beta-1.0-py3.10.egg",
        "purepkg-1.0-py3.10.egg",
        "toolbox-0.5-py3.10.egg",
        "xmlext-1.0-py3.10-linux-x86_64.egg",
        "zlibext-1.0-py3.10-linux-x86_64.egg",
    ],
}


def wheels_for(version: str, fixture_wheels: dict, made_wheels: dict) -> list:
    wheels = [fixture_wheels[egg].wheel for egg in WHEELS_FOR[version]]
    if version == "3.10":
        wheels += [made_wheels[egg].wheel for egg in madebinaries.WORK_ON_310]
    return wheels
