"""The JSON the tag rules ship in ``migrate/data`` (auditwheel's policy, the compiler strings).

Read with ``pkgutil.get_data``, which asks the package's loader (a folder or a zip alike):
``importlib.resources.files`` loads its readers and, through them, ``zipfile``: a conversion
of one egg with an extension module spent 12 M instructions more (368 M, Python 3.11).
"""
from __future__ import annotations

import json
import pkgutil
from typing import Any


def shipped_json(name: str) -> Any:
    """The parsed ``migrate/data/<name>``."""
    data = pkgutil.get_data("migrate", f"data/{name}")
    if data is None:  # a loader that cannot read data files: none that installs this package
        raise FileNotFoundError(f"migrate/data/{name}: the package's loader cannot read it")
    return json.loads(data.decode("utf-8"))
