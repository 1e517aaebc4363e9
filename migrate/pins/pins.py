"""Mirror + requirements + target -> hash-pinned ``requirements.txt`` / PEP 751 ``pylock.toml``.

Resolved for the *target*, not the host: the target's tag list comes from
``packaging.tags`` (``cp27mu`` on ``manylinux_2_17_x86_64`` ...) and markers
are evaluated in the target's marker environment, so a 3.11 host pins for a
2.7 deployment. ``pip install --dry-run --report --python-version`` cannot do
this (it applies the target's tags but evaluates markers for the host:
FACTS.md, "Mirrors and pins"); the resolver here is ``resolvelib`` (pip's own
backtracking resolver library) with a provider that reads the mirror's PEP 503
pages and the PEP 658 ``.metadata`` files (never the wheels, when those exist).
"""
from __future__ import annotations

import email.parser
import hashlib
import os
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Optional
from urllib.parse import unquote, urldefrag, urljoin, urlparse
from urllib.request import url2pathname

import resolvelib
from packaging import tags as ptags
from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import InvalidWheelFilename, canonicalize_name, parse_wheel_filename
from packaging.version import Version

from migrate import __version__
from migrate import problems as P
from migrate.errors import MigrateError
from migrate.fetch.links import page_anchors, parse_sha256
from migrate.fsutil import write_atomic
from migrate.wheels.wheelfile import WheelMetadataError, read_metadata

_LEGACY = {5: "manylinux1", 12: "manylinux2010", 17: "manylinux2014"}
_LEGACY_TO_GLIBC = {v: k for k, v in _LEGACY.items()}


class PinError(MigrateError):
    """Bad input for pinning (usage-level): one line."""


class Unresolvable(MigrateError):
    """No set of wheels satisfies the requirements for the target; ``str()`` is one paragraph."""


# ---------------------------------------------------------------- the target

@dataclass(frozen=True)
class Target:
    """The interpreter and system the pins are for."""

    version: tuple  # (2, 7) or (2, 7, 18)
    implementation: str = "cp"  # cp | pp
    abis: tuple = ()
    platforms: tuple = ()  # expanded, most preferred first

    @classmethod
    def make(cls, python: str, abis: Iterable[str] = (), platforms: Iterable[str] = (),
             implementation: str = "cp") -> "Target":
        try:
            version = tuple(int(x) for x in python.split("."))
        except ValueError:
            raise PinError(f"--python {python!r}: expected X.Y or X.Y.Z, like 2.7") from None
        if len(version) not in (2, 3):
            raise PinError(f"--python {python!r}: expected X.Y or X.Y.Z, like 2.7")
        abis = tuple(abis) or (default_abi(version, implementation),)
        platforms = expand_platforms(tuple(platforms) or ("manylinux_2_17_x86_64",))
        return cls(version, implementation, abis, platforms)

    @property
    def short(self) -> str:
        return f"{self.version[0]}.{self.version[1]}"

    @property
    def full_version(self) -> str:
        return ".".join(str(v) for v in self.version)

    def tags(self) -> list:
        """Every tag the target accepts, most preferred first (pip's order)."""
        xy = self.version[:2]
        interpreter = f"{self.implementation}{xy[0]}{xy[1]}"
        if self.implementation == "cp":
            found = list(ptags.cpython_tags(xy, abis=list(self.abis), platforms=list(self.platforms)))
        else:
            found = list(ptags.generic_tags(interpreter, abis=list(self.abis), platforms=list(self.platforms)))
        found += list(ptags.compatible_tags(xy, interpreter, list(self.platforms)))
        return list(dict.fromkeys(found))

    def marker_environment(self) -> dict:
        """PEP 508 environment markers as the target's interpreter would report them."""
        platform = self.platforms[0] if self.platforms else "linux_x86_64"
        major = self.version[0]
        if platform.startswith("macosx_"):
            sys_platform, system, os_name = "darwin", "Darwin", "posix"
            machine = platform.split("_", 3)[-1]
            machine = "arm64" if machine == "arm64" else "x86_64"
        elif platform.startswith("win"):
            sys_platform, system, os_name = "win32", "Windows", "nt"
            machine = {"win_amd64": "AMD64", "win32": "x86", "win_arm64": "ARM64"}.get(platform, "AMD64")
        else:
            sys_platform = "linux2" if major == 2 else "linux"
            system, os_name = "Linux", "posix"
            machine = _arch(platform)
        impl = {"cp": ("cpython", "CPython"), "pp": ("pypy", "PyPy")}[self.implementation]
        return {
            "implementation_name": impl[0],
            "implementation_version": self.full_version,
            "os_name": os_name,
            "platform_machine": machine,
            "platform_release": "",
            "platform_system": system,
            "platform_version": "",
            "python_full_version": self.full_version,
            "platform_python_implementation": impl[1],
            "python_version": self.short,
            "sys_platform": sys_platform,
        }

    def describe(self) -> str:
        name = {"cp": "CPython", "pp": "PyPy"}[self.implementation]
        return f"{name} {self.full_version} ({'/'.join(self.abis)}) on {self.platforms[0]}"


def default_abi(version: tuple, implementation: str = "cp") -> str:
    """cp27mu (the UCS4 build most Linux systems have), cp3Xm for 3.3-3.7, cp3X after."""
    major, minor = version[:2]
    if implementation != "cp":
        raise PinError("--abi is required for PyPy targets (e.g. pypy_73 / pypy37_pp73)")
    if major == 2:
        return "cp27mu"
    return f"cp{major}{minor}m" if (3, 3) <= (major, minor) <= (3, 7) else f"cp{major}{minor}"


def _arch(platform: str) -> str:
    for arch in ("x86_64", "i686", "aarch64", "armv7l", "ppc64le", "s390x"):
        if arch in platform:
            return arch
    return platform.rsplit("_", 1)[-1]


def expand_platforms(given: tuple) -> tuple:
    """What a system described by each ``--platform`` accepts, most specific first.

    ``manylinux_2_17_x86_64`` means glibc 2.17: manylinux_2_17 down to 2_5, the
    legacy aliases, then ``linux_x86_64``. A distro tag
    (``linux_x86_64_ubuntu_14_04``) is kept as given, before the rest.
    Anything else is taken literally (``pip --platform`` semantics).
    """
    first, generic = [], []
    for plat in given:
        if plat.startswith("manylinux"):
            glibc, arch = _manylinux(plat)
            for minor in range(glibc, 4, -1):
                first.append(f"manylinux_2_{minor}_{arch}")
                if minor in _LEGACY:
                    first.append(f"{_LEGACY[minor]}_{arch}")
            generic.append(f"linux_{arch}")
        elif plat.startswith("macosx_"):
            _, major, minor, arch = plat.split("_", 3)
            first += list(ptags.mac_platforms((int(major), int(minor)), arch))
        else:
            first.append(plat)
    return tuple(dict.fromkeys(first + generic))


def _manylinux(plat: str) -> tuple:
    for legacy, glibc in _LEGACY_TO_GLIBC.items():
        if plat.startswith(legacy + "_"):
            return glibc, plat[len(legacy) + 1:]
    parts = plat.split("_", 3)
    try:
        if parts[0] == "manylinux" and parts[1] == "2":
            return int(parts[2]), parts[3]
    except (IndexError, ValueError):
        pass
    raise PinError(f"--platform {plat!r}: expected manylinux_2_X_<arch> or a legacy manylinux name")


# ---------------------------------------------------------------- reading the index

@dataclass(frozen=True)
class IndexFile:
    """One wheel link on a project page."""

    filename: str
    url: str
    sha256: Optional[str]
    requires_python: Optional[str]
    metadata_sha256: Optional[str]  # PEP 658/714; None when the index offers no .metadata
    has_metadata: bool
    name: str
    version: Version
    tags: frozenset


class Index:
    """A PEP 503 simple index: a local mirror folder, a ``file://`` URL or an http(s) URL."""

    def __init__(self, location: str, session=None):
        self.location = str(location)
        parsed = urlparse(self.location)
        if parsed.scheme in ("http", "https"):
            self.url = self.location.rstrip("/") + "/"
            import requests

            self.session = session or requests.Session()
        else:
            path = Path(url2pathname(parsed.path)) if parsed.scheme == "file" else Path(self.location)
            if (path / "simple" / "index.html").is_file():
                path = path / "simple"
            if not (path / "index.html").is_file():
                raise PinError(f"{self.location}: no simple index here (expected index.html or simple/index.html)")
            self.url = Path(os.path.abspath(path)).as_uri() + "/"
            self.session = None
        self.requests = []  # URLs read, for tests and --verbose
        self._pages = {}

    def _get(self, url: str) -> Optional[bytes]:
        self.requests.append(url)
        if self.session is None:
            path = Path(url2pathname(urlparse(url).path))
            if url.endswith("/"):
                path = path / "index.html"
            try:
                return path.read_bytes()
            except FileNotFoundError:
                return None
            except OSError as exc:
                raise PinError(f"{path}: cannot read ({exc.strerror or exc})") from None
        import requests

        try:
            response = self.session.get(url, headers={"Accept": "text/html"}, timeout=60)
        except requests.RequestException as exc:
            raise PinError(f"{url}: {exc}") from None
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise PinError(f"{url}: HTTP {response.status_code}")
        return response.content

    def files(self, project: str) -> list:
        """Wheel links of a project (normalized name); [] when the index does not have it."""
        project = canonicalize_name(project)
        if project not in self._pages:
            page_url = urljoin(self.url, project + "/")
            body = self._get(page_url)
            self._pages[project] = [] if body is None else _parse_page(body, page_url, project)
        return self._pages[project]

    def metadata(self, f: IndexFile) -> bytes:
        """Core metadata: the PEP 658 ``.metadata`` file (hash checked), else from the wheel itself."""
        if f.has_metadata:
            data = self._get(f.url + ".metadata")
            if data is not None:
                if f.metadata_sha256 and hashlib.sha256(data).hexdigest() != f.metadata_sha256:
                    raise PinError(f"{f.url}.metadata: sha256 differs from the index's data-core-metadata")
                return data
        try:
            return read_metadata(self.wheel(f))
        except WheelMetadataError as exc:
            raise PinError(f"{f.filename}: {exc}") from None

    def wheel(self, f: IndexFile) -> bytes:
        data = self._get(f.url)
        if data is None:
            raise PinError(f"{f.url}: not found")
        if f.sha256 and hashlib.sha256(data).hexdigest() != f.sha256:
            raise PinError(f"{f.url}: sha256 differs from the index")
        return data

    def sha256(self, f: IndexFile) -> str:
        return f.sha256 or hashlib.sha256(self.wheel(f)).hexdigest()


def _parse_page(body: bytes, page_url: str, project: str) -> list:
    out = []
    for anchor in page_anchors(body.decode("utf-8", "replace"), page_url):
        attrs = anchor.attrs
        url, frag = urldefrag(anchor.url)
        filename = unquote(url.rsplit("/", 1)[-1])
        if not filename.endswith(".whl"):
            continue
        try:
            name, version, _build, tags = parse_wheel_filename(filename)
        except InvalidWheelFilename:
            continue
        if name != project:
            continue
        sha = parse_sha256(frag)
        meta = attrs.get("data-core-metadata") or attrs.get("data-dist-info-metadata")
        meta_sha = parse_sha256(meta)
        out.append(IndexFile(
            filename=filename, url=url, sha256=sha, requires_python=attrs.get("data-requires-python") or None,
            metadata_sha256=meta_sha, has_metadata=bool(meta) and meta.lower() != "false",
            name=name, version=version, tags=frozenset(str(t) for t in tags),
        ))
    return out


# ---------------------------------------------------------------- resolution

@dataclass(frozen=True)
class Root:
    """A requirement the user asked for, and where it came from (``-r file``, eggs.ini, command line)."""

    requirement: Requirement
    source: str = ""


@dataclass(frozen=True)
class Candidate:
    name: str  # normalized
    version: Version
    extras: frozenset
    files: tuple  # IndexFile compatible with the target, best first

    @property
    def best(self) -> IndexFile:
        return self.files[0]


@dataclass(frozen=True)
class Pin:
    name: str  # display name from METADATA
    version: str
    extras: tuple
    files: tuple  # ((IndexFile, sha256), ...) every wheel of this version the target accepts
    via: tuple  # parents' display names and root sources


@dataclass(frozen=True)
class PinResult:
    target: Target
    pins: tuple
    index: str
    problems: tuple = field(default=())


def _identify(name: str, extras) -> str:
    return f"{name}[{','.join(sorted(extras))}]" if extras else name


class Provider(resolvelib.AbstractProvider):
    """resolvelib provider: candidates from the index, markers for the target."""

    def __init__(self, index: Index, target: Target):
        self.index = index
        self.target = target
        self.env = target.marker_environment()
        self.rank = {str(t): i for i, t in enumerate(target.tags())}
        self.python = Version(target.full_version)
        self.problems = []
        self._meta = {}

    # resolvelib API
    def identify(self, requirement_or_candidate) -> str:
        if isinstance(requirement_or_candidate, Candidate):
            return _identify(requirement_or_candidate.name, requirement_or_candidate.extras)
        r = requirement_or_candidate
        return _identify(canonicalize_name(r.name), r.extras)

    def get_preference(self, identifier, resolutions, candidates, information, backtrack_causes):
        pinned = any(s.operator in ("==", "===") for info in information[identifier]
                     for s in info.requirement.specifier)
        in_causes = any(self.identify(c.requirement) == identifier for c in backtrack_causes)
        return (not in_causes, not pinned, identifier)

    def find_matches(self, identifier, requirements, incompatibilities):
        reqs = list(requirements[identifier])
        name = canonicalize_name(reqs[0].name)
        extras = frozenset(e for r in reqs for e in r.extras)
        bad = {c.version for c in incompatibilities[identifier]}
        out = []
        for version, files in self.compatible(name).items():
            if version in bad or not all(r.specifier.contains(version, prereleases=True) for r in reqs):
                continue
            out.append(Candidate(name, version, extras, files))
        return sorted(out, key=lambda c: c.version, reverse=True)

    def is_satisfied_by(self, requirement, candidate) -> bool:
        return canonicalize_name(requirement.name) == candidate.name and \
            requirement.specifier.contains(candidate.version, prereleases=True)

    def get_dependencies(self, candidate):
        deps = []
        if candidate.extras:
            deps.append(Requirement(f"{candidate.name}=={candidate.version}"))
        for text in self.requires_dist(candidate):
            try:
                req = Requirement(text)
            except InvalidRequirement as exc:
                self.problems.append(P.warning("N002", f"{candidate.best.filename}: ignored Requires-Dist {text!r} ({exc})"))
                continue
            if req.url:
                self.problems.append(P.warning("N003", f"{candidate.best.filename}: ignored URL requirement {text!r}"))
                continue
            if self.applies(req, candidate.extras):
                deps.append(req)
        return deps

    # helpers
    def applies(self, req: Requirement, extras: frozenset) -> bool:
        if req.marker is None:
            return not extras  # unconditional ones come with the base candidate
        wanted = extras or {""}
        return any(req.marker.evaluate({**self.env, "extra": e}) for e in wanted) and \
            not (extras and req.marker.evaluate({**self.env, "extra": ""}))

    @lru_cache(maxsize=None)
    def compatible(self, name: str) -> dict:
        """{version: files the target accepts, best tag first}, newest version first."""
        by_version = {}
        for f in self.index.files(name):
            rank = min((self.rank[t] for t in f.tags if t in self.rank), default=None)
            if rank is None or not self._python_ok(f):
                continue
            by_version.setdefault(f.version, []).append((rank, f.filename, f))
        return {v: tuple(f for _, _, f in sorted(group)) for v, group in
                sorted(by_version.items(), key=lambda kv: kv[0], reverse=True)}

    def _python_ok(self, f: IndexFile) -> bool:
        if not f.requires_python:
            return True
        try:
            return SpecifierSet(f.requires_python).contains(self.python, prereleases=True)
        except InvalidSpecifier:
            return True

    def metadata(self, candidate: Candidate):
        key = candidate.best.url
        if key not in self._meta:
            raw = self.index.metadata(candidate.best)
            self._meta[key] = email.parser.BytesParser().parsebytes(raw, headersonly=True)
        return self._meta[key]

    def requires_dist(self, candidate: Candidate) -> list:
        return self.metadata(candidate).get_all("Requires-Dist") or []


def pin(requirements: Iterable, mirror, target: Target, session=None) -> PinResult:
    """Resolve ``requirements`` (strings or :class:`Root`) against ``mirror`` for ``target``.

    Raises :class:`Unresolvable` (one paragraph) or :class:`PinError` (one line).
    """
    roots = [_root(r) for r in requirements]
    if not roots:
        raise PinError("nothing to pin: give requirements, -r FILE or --eggs-ini FILE")
    index = mirror if isinstance(mirror, Index) else Index(str(mirror), session)
    provider = Provider(index, target)
    applicable = [r for r in roots if r.requirement.marker is None or r.requirement.marker.evaluate(provider.env)]
    resolver = resolvelib.Resolver(provider, resolvelib.BaseReporter())
    try:
        result = resolver.resolve([r.requirement for r in applicable], max_rounds=10000)
    except resolvelib.ResolutionImpossible as exc:
        raise Unresolvable(explain(exc.causes, provider, target)) from None
    except resolvelib.ResolutionTooDeep:
        raise Unresolvable(f"Cannot pin for {target.describe()}: the resolver gave up after 10000 rounds "
                           "of backtracking; pin some versions in the requirements to narrow the search.") from None
    return PinResult(target, tuple(_pins(result, applicable, provider)), index.url, tuple(provider.problems))


def _root(item) -> Root:
    if isinstance(item, Root):
        return item
    if isinstance(item, Requirement):
        return Root(item)
    try:
        return Root(Requirement(str(item)))
    except InvalidRequirement as exc:
        raise PinError(f"{item!r}: not a requirement ({exc})") from None


def _pins(result, roots: list, provider: Provider) -> list:
    by_name = {}
    for identifier, cand in result.mapping.items():
        entry = by_name.setdefault(cand.name, {"cand": cand, "extras": set(), "via": set()})
        entry["extras"] |= cand.extras
        if not cand.extras:
            entry["cand"] = cand
        for parent in result.graph.iter_parents(identifier):
            if parent is not None:
                pname = result.mapping[parent].name
                if pname != cand.name:
                    entry["via"].add(_display(provider, result.mapping[parent]))
    for r in roots:
        name = canonicalize_name(r.requirement.name)
        if name in by_name:
            by_name[name]["extras"] |= set(r.requirement.extras)
            if r.source:
                by_name[name]["via"].add(r.source)
    pins = []
    for name in sorted(by_name):
        entry = by_name[name]
        cand = entry["cand"]
        files = tuple((f, provider.index.sha256(f)) for f in cand.files)
        pins.append(Pin(_display(provider, cand), str(cand.version), tuple(sorted(entry["extras"])), files,
                        tuple(sorted(entry["via"], key=str.lower))))
    return pins


def _display(provider: Provider, cand: Candidate) -> str:
    return provider.metadata(cand).get("Name") or cand.name


def explain(causes, provider: Provider, target: Target) -> str:
    """One paragraph: what was asked, by whom, and what the mirror has for the target."""
    groups = {}
    for info in causes:
        groups.setdefault(canonicalize_name(info.requirement.name), []).append(info)
    parts = []
    for name, infos in groups.items():
        asked = []
        for info in infos:
            who = "you" if info.parent is None else f"{_display(provider, info.parent)} {info.parent.version}"
            asked.append(f"{who} asked for '{info.requirement}'")
        everything = provider.index.files(name)
        usable = provider.compatible(name)
        if not everything:
            have = "the mirror has no project of that name"
        elif not usable:
            shown = ", ".join(sorted({"-".join(f.filename[:-4].split("-")[-3:]) for f in everything}))
            versions = ", ".join(sorted({str(f.version) for f in everything}, key=Version))
            have = f"the mirror has {versions} but no wheel this target accepts (tags there: {shown})"
        else:
            have = "the mirror has " + ", ".join(str(v) for v in usable) + " for this target"
        parts.append(f"{name}: {'; '.join(asked)}; {have}")
    return (f"Cannot pin for {target.describe()} (markers evaluated for python_version "
            f"{target.short}, sys_platform {provider.env['sys_platform']}): " + ". ".join(parts) +
            ". Add the missing wheels to the mirror (convert the eggs that provide them and publish again) "
            "or change the requirements.")


# ---------------------------------------------------------------- inputs

def read_requirements_file(path) -> list:
    """Roots from a requirements.in: one requirement a line, ``#`` comments, ``-r`` includes."""
    path = Path(path)
    try:
        text = path.read_text("utf-8")
    except OSError as exc:
        raise PinError(f"{path}: cannot read ({exc.strerror or exc})") from None
    roots = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.split(" #", 1)[0].strip() if not raw.lstrip().startswith("#") else ""
        if not line:
            continue
        if line.startswith(("-r ", "--requirement ")):
            roots += read_requirements_file(path.parent / line.split(None, 1)[1])
            continue
        if line.startswith("-"):
            raise PinError(f"{path}:{number}: option {line.split()[0]} is not supported here")
        try:
            roots.append(Root(Requirement(line), f"-r {path.name}"))
        except InvalidRequirement as exc:
            raise PinError(f"{path}:{number}: {exc}") from None
    return roots


def read_eggs_ini(path, manifest=None) -> tuple:
    """(roots, notes): ``name==version`` for every egg of a Galaxy eggs.ini (``migrate.eggsini``).

    The version is the wheel's: looked up in ``manifest`` (manifest.json: the egg's
    version string -> the wheel's PEP 440 version) when given, else computed as the
    converter does (``names.pep440_version``: a ``[tags]`` suffix becomes a local
    version). Eggs in ``[general] no_auto`` were optional in Galaxy: left out, noted.
    """
    from migrate.eggs.names import pep440_version
    from migrate.galaxy import eggsini

    try:
        ini = eggsini.parse(path)
    except eggsini.InvalidEggsIni as exc:
        raise PinError(str(exc)) from None
    known = _manifest_versions(manifest) if manifest else {}
    roots, notes = [], []
    for pin in ini.eggs.values():
        section = "eggs:platform" if pin.platform else "eggs:noplatform"
        if pin.key in ini.no_auto:
            notes.append(f"{pin.key}: in [general] no_auto (optional in Galaxy), not pinned")
            continue
        raw = pin.full_version.replace("-", "_")
        try:
            version = known.get((canonicalize_name(pin.key), raw)) or pep440_version(raw)
            roots.append(Root(Requirement(f"{pin.key}=={version}"), f"eggs.ini [{section}]"))
        except Exception as exc:  # InvalidVersion / InvalidRequirement: one line
            raise PinError(f"{path}:{pin.lineno}: {pin.key} = {pin.version}: {exc}") from None
    return roots, notes


def _manifest_versions(path) -> dict:
    """{(project, egg version string): wheel version} of the converted eggs in a manifest.json."""
    import json

    try:
        data = json.loads(Path(path).read_text("utf-8"))
    except (OSError, ValueError) as exc:
        raise PinError(f"{path}: cannot read the manifest ({exc})") from None
    found = {}
    for r in data.get("eggs", []) if isinstance(data, dict) else []:
        if r.get("status") == "converted" and r.get("project") and r.get("egg_version") and r.get("version"):
            found[(canonicalize_name(r["project"]), r["egg_version"])] = r["version"]
    return found


# ---------------------------------------------------------------- writers

def render_requirements(result: PinResult, command: Optional[str] = None) -> str:
    """pip-compile's format: ``name==version \\`` / ``--hash=sha256:`` lines / ``# via``."""
    lines = ["#", f"# This file is autogenerated by egg-migrate {__version__} for {result.target.describe()}.",
             f"# Install with: pip install --require-hashes --no-deps -r requirements.txt --index-url {result.index}",
             "#"]
    if command:
        lines += [f"#    {command}", "#"]
    for p in result.pins:
        extras = f"[{','.join(p.extras)}]" if p.extras else ""
        lines.append(f"{p.name}{extras}=={p.version} \\")
        hashes = sorted({sha for _, sha in p.files})
        for i, sha in enumerate(hashes):
            lines.append(f"    --hash=sha256:{sha}" + (" \\" if i < len(hashes) - 1 else ""))
        if len(p.via) == 1:
            lines.append(f"    # via {p.via[0]}")
        elif p.via:
            lines.append("    # via")
            lines += [f"    #   {v}" for v in p.via]
    return "\n".join(lines) + "\n"


def render_pylock(result: PinResult, lock_path=None) -> str:
    """PEP 751 ``pylock.toml`` (lock-version 1.0): one package per pin, its wheels with hashes."""
    t = result.target
    env = t.marker_environment()
    marker = (f'python_version == "{t.short}" and sys_platform == "{env["sys_platform"]}" '
              f'and platform_machine == "{env["platform_machine"]}"')
    lines = ['lock-version = "1.0"', f"environments = [{_toml(marker)}]",
             f'requires-python = "=={t.short}.*"', 'created-by = "egg-migrate"', ""]
    base = Path(os.path.abspath(lock_path)).parent if lock_path else None
    for p in result.pins:
        lines += ["[[packages]]", f"name = {_toml(canonicalize_name(p.name))}", f"version = {_toml(p.version)}"]
        if result.index.startswith(("http://", "https://")):
            lines.append(f"index = {_toml(result.index)}")
        lines.append("wheels = [")
        for f, sha in p.files:
            where = _toml(f.url)
            key = "url"
            if f.url.startswith("file:") and base is not None:
                key, where = "path", _toml(os.path.relpath(url2pathname(urlparse(f.url).path), base))
            lines.append(f"  {{ name = {_toml(f.filename)}, {key} = {where}, hashes = {{ sha256 = {_toml(sha)} }} }},")
        lines += ["]", ""]
    return "\n".join(lines)


def _toml(text: str) -> str:
    out = text.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{out}"'


def write_requirements(result: PinResult, path, command: Optional[str] = None) -> None:
    write_atomic(path, render_requirements(result, command))


def write_pylock(result: PinResult, path) -> None:
    name = Path(path).name
    if not (name == "pylock.toml" or (name.startswith("pylock.") and name.endswith(".toml"))):
        raise PinError(f"{path}: PEP 751 lock files must be named pylock.toml or pylock.<name>.toml")
    write_atomic(path, render_pylock(result, path))
