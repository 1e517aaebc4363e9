"""The mirror stage: wheels in, a static PEP 503 index out (with PEP 691 JSON and PEP 658/714
``.metadata`` files) that any web server, or pip from ``file://``, can serve; or the same wheels
pushed to an existing index with twine (``uploading``).

Layout (docs/mirror.rst)::

    MIRROR/packages/<wheel>, <wheel>.metadata   immutable (a new file with a known name: packages/<sha256[:16]>/)
    MIRROR/<distro>/packages/<wheel>            a distro build re-tagged linux_<arch>
    MIRROR/simple -> .egg-migrate/current/simple
    MIRROR/<distro>/simple -> ../.egg-migrate/current/<distro>/simple
    .egg-migrate/current -> gen-N               gen-N/{state.json, pages, simple/, <distro>/simple/}
    .egg-migrate/gen-N/simple/<project> -> ../../pages/<sig>              (one symlink per project)
    .egg-migrate/pages/<sig>/{index.html,index.json}                      project pages, never rewritten
    .egg-migrate/d-<distro>/pages/<sig>/...                               the same for a distro index
    .egg-migrate/state/<sha>                    state shards: a source key and a row per wheel
    .egg-migrate/placed                         the journal: files being created or deleted, until settled

Why this shape:

- Atomic: everything a publish adds is written beside the live mirror (new
  wheels, new pages, a new generation folder); then one ``rename()`` of the
  ``current`` symlink switches every index at once. A crash before it leaves
  the old mirror serving, untouched. Files an index refers to are never
  overwritten, so readers always find what a page they read points to.
- Incremental, O(what changed): a project page is stored once under the hash
  of the state rows it is made from (``sig``) and a generation is a folder of
  symlinks to pages, so an unchanged project costs a link, not a page (a new
  inode costs tens to hundreds of microseconds on a busy disk; a hard link of
  the live generation's symlink, a few). The next generation is made by
  recycling the one before the live one (its readers have had a whole publish
  to finish) and changing only the symlinks that differ. The state is 64
  content-addressed shards of a line per wheel; a publish rewrites only the
  shards whose projects changed, and makes no generation when nothing did.
- Cheap files: ``.metadata`` files with equal bytes are hard links of one
  file (wheels of one release usually share METADATA), and the durability
  flush is a few ``fsync`` calls when a publish adds a few files.

Distro builds (platform ``linux_x86_64_ubuntu_14_04``) are also served
re-tagged ``linux_<arch>`` from ``<distro>/simple/`` (``distro``).

Modules, each one idea. The steps of one publish, in order: ``publishing`` (``publish()``, which
joins them, and the swap), ``guard`` (what is refused before the first write: a sync that would
shrink the mirror, a user's folder where an index goes; what ``--dry-run`` shows),
``live`` (the live generation, an interrupted publish's debris),
``given`` (sorting the wheels given into known and new), ``placing`` (a new wheel's file, never
over one in use), ``planning`` (the next generation's rows, shards and pages), ``pagestore``
(writing new pages), ``generation`` (the next generation's folder) and ``garbage`` (deleting what
no generation in use refers to). What they share: ``state`` (rows, shards, generation files),
``layout`` (the mirror root's links, the lock), ``journal`` (the files a publish recorded as its
own before creating them: all it may ever delete), ``files`` (creating files without overwriting,
file-system helpers), ``pool`` (the process pool and its workers), ``wheels`` (reading a wheel and
its METADATA), ``distro`` (distro tags, re-tagging), ``pages`` (rendering) and ``pagetable`` (a
generation's page of each project, kept in a temp file a state shard at a time). ``uploading`` is
the other way out.
"""
from typing import TYPE_CHECKING

from migrate.exports import lazy_exports

__all__, __getattr__ = lazy_exports(__name__, {
    "distro": ("is_distro_platform",),
    "files": ("stored_paths",),
    "layout": ("MirrorError", "index_url",),
    "pages": ("render_project", "render_root",),
    "guard": ("ShrinkRefused",),
    "publishing": ("PublishProgress", "PublishMode", "PublishReport", "publish",),
    "state": ("STATE_DIR",),
    "uploading": ("UploadError", "UploadOptions", "UploadResult", "check_twine", "split_credentials", "upload",),
})

if TYPE_CHECKING:  # the same names, for type checkers and readers
    from migrate.mirror.distro import is_distro_platform
    from migrate.mirror.files import stored_paths
    from migrate.mirror.guard import ShrinkRefused
    from migrate.mirror.layout import MirrorError, index_url
    from migrate.mirror.pages import render_project, render_root
    from migrate.mirror.publishing import PublishMode, PublishProgress, PublishReport, publish
    from migrate.mirror.state import STATE_DIR
    from migrate.mirror.uploading import (
        UploadError,
        UploadOptions,
        UploadResult,
        check_twine,
        split_credentials,
        upload,
    )
