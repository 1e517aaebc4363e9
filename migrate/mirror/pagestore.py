"""The page stores: where project pages are written once, under their ``sig``, for every generation.

``.egg-migrate/pages/<sig>/`` serves ``simple/``, ``.egg-migrate/d-<distro>/pages/<sig>/`` a
distro index. A page folder is never rewritten while a generation refers to it.
"""
from __future__ import annotations

import os
import shutil
from typing import Optional, Sequence

from migrate.mirror.files import Placer, ensure_symlink
from migrate.mirror.planning import NewPage
from migrate.mirror.pool import render_many


def write_new_pages(state_root: str, placer: Placer, new_pages: Sequence[NewPage], base_url: Optional[str],
                    jobs: int) -> None:
    """Render the new project pages (in a process pool when there are many) and write each into a
    new folder of its page store. ``new_pages`` is walked, not held: it may be a ``SpillList``."""
    stores: dict[str, str] = {}  # index -> its page store, made on first use

    def store(index: str) -> str:
        if index not in stores:
            stores[index] = _page_store(state_root, index, placer.dirs)
        return stores[index]

    work = ((store(p.index_name), p.sig, p.project, p.files, 3 if p.index_name else 2) for p in new_pages)
    if not placer.files.many(2 * len(new_pages)):  # many files are flushed by one syncfs: no folder needs its fsync
        for p in new_pages:
            placer.dirs.update((store(p.index_name), f"{store(p.index_name)}/{p.sig}"))
    for rendered in render_many(base_url, work, len(new_pages), jobs):
        for folder, index_html, index_json in rendered:
            _write_page(placer, folder, index_html, index_json)


def _page_store(state_root: str, index: str, dirs: set[str]) -> str:
    """``.egg-migrate/pages`` or ``.egg-migrate/d-<distro>/pages``; made on first use.

    The page folders sit as deep as the pages they are served as, and ``packages`` links beside
    them, so the relative links also resolve for tools that follow them on the file system.
    """
    sr = state_root
    store = f"{sr}/d-{index}/pages" if index else f"{sr}/pages"
    if not os.path.isdir(store):
        os.makedirs(store, exist_ok=True)
        ensure_symlink(f"{sr}/packages", "../packages")
        if index:
            ensure_symlink(f"{sr}/d-{index}/packages", f"../../{index}/packages")
            dirs.add(f"{sr}/d-{index}")
    return store


def _write_page(placer: Placer, folder: str, page: bytes, data: bytes) -> None:
    """A project page: a new folder and two files nobody refers to yet."""
    try:
        os.mkdir(folder)
    except FileExistsError:  # a leftover of an interrupted run: no index refers to it
        shutil.rmtree(folder)
        os.mkdir(folder)
    placer.new_file(f"{folder}/index.html", page)
    placer.new_file(f"{folder}/index.json", data)
