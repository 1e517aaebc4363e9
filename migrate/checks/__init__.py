"""Proving a wheel: one module per area, each a ``check(wheel)``, joined by ``check_wheel``
(:mod:`check`); ``--smoke`` installs and imports it (:mod:`smoke`). Takes a wheel (and
its source egg); gives a ``CheckResult``, a list of problems with stable codes.

Codes are documented in ``docs/check.rst``:
W0xx the file itself, W1xx file name, W2xx zip safety, W3xx RECORD, W4xx METADATA (and dist-info text),
W5xx WHEEL, W6xx tags vs binaries, W7xx content smells, W8xx against the source
egg, W9xx the ``--smoke`` install.
"""
from typing import TYPE_CHECKING

from migrate.exports import lazy_exports

__all__, __getattr__ = lazy_exports(__name__, {
    "check": ("BadManifest", "CheckResult", "check_wheel", "eggs_from_manifest", "find_wheels",),
    "smoke": ("SmokeResult", "smoke_test",),
})

if TYPE_CHECKING:  # the same names, for type checkers and readers
    from migrate.checks.check import BadManifest, CheckResult, check_wheel, eggs_from_manifest, find_wheels
    from migrate.checks.smoke import SmokeResult, smoke_test
