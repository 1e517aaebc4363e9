"""Proving a wheel: one module per area, each a ``check(wheel)``, joined by ``check_wheel``
(:mod:`check`); ``--smoke`` installs and imports it (:mod:`smoke`). Takes a wheel (and
its source egg); gives a ``CheckResult``, a list of problems with stable codes.

Codes are documented in ``docs/check.rst``:
W0xx the file itself, W1xx file name, W2xx zip safety, W3xx RECORD, W4xx METADATA,
W5xx WHEEL, W6xx tags vs binaries, W7xx content smells, W8xx against the source
egg, W9xx the ``--smoke`` install.
"""
from importlib import import_module

# The public names and their modules, imported on first use: ``check`` without
# ``--smoke`` does not load the smoke test.
_MODULES = {
    "check": ("BadManifest", "CheckResult", "check_wheel", "eggs_from_manifest", "find_wheels"),
    "smoke": ("SmokeResult", "smoke_test"),
}
_HOME = {name: module for module, names in _MODULES.items() for name in names}
__all__ = sorted(_HOME)


def __getattr__(name: str):
    if name not in _HOME:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f"{__name__}.{_HOME[name]}"), name)
