"""Where eggs come from: listing a repository into links, never leaving its root.

Kinds of SOURCE:

- HTTP directory trees: a Galaxy egg repository (``<repo>/<name>/<egg>`` as
  Apache/nginx autoindex pages) or a PEP 503 simple index — both are "a page of
  project folders, each a page of files"; ``#sha256=`` fragments are kept.
- PEP 691 JSON, when the server answers ``Accept: application/vnd.pypi.simple.v1+json``.
- A find-links page: one page that links egg files directly.
- Local folders: an egg cache, a project's ``.eggs/``, a buildout ``eggs/``, a
  site-packages with ``.egg`` entries (``file://`` URLs too).

Rules for untrusted listings: listing pages are read only below the root URL
(never a parent, never another host, after every redirect); egg files may live
elsewhere on the same host (PEP 503 indexes keep them under ``/packages/``), on
another host when an index project page gives their sha256 (PyPI's
files.pythonhosted.org) or on an ``--allow-host`` host; other links, names with
``/``, ``\\`` or ``..``, and names that are not egg names are skipped with a reason.

:func:`open_source` picks the kind; :mod:`migrate.fetch.localsource`,
:mod:`migrate.fetch.httpsource` and :mod:`migrate.fetch.pages` read them, and
give the values of :mod:`migrate.fetch.listing`.
"""
from __future__ import annotations

from pathlib import Path
from typing import Optional, Union
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

import requests

from migrate.fetch.httpsource import HttpSource
from migrate.fetch.listing import SourceError
from migrate.fetch.localsource import LocalSource
from migrate.fetch.net import NetOptions

Source = Union[HttpSource, LocalSource]


def open_source(source: str, session: Optional[requests.Session] = None, options: NetOptions = NetOptions(),
                jobs: int = 8, lazy: bool = False) -> Source:
    """The :class:`HttpSource` or :class:`LocalSource` for SOURCE; raises SourceError.

    ``lazy``: only named projects will be asked for, so an HTTP root page is read only if needed.
    """
    parts = urlsplit(source)
    if parts.scheme in ("http", "https"):
        if session is None:
            raise ValueError("an HTTP source needs a requests session")
        return HttpSource(source, session, options, jobs, lazy)
    if parts.scheme == "file":
        return LocalSource(Path(url2pathname(unquote(parts.path))))
    if parts.scheme and len(parts.scheme) > 1:
        raise SourceError(f"{source}: unsupported URL scheme {parts.scheme!r} (use http, https, file or a folder)")
    return LocalSource(Path(source))
