#!/usr/bin/env python3
"""Break the code on purpose and see whether the tests notice: ``N killed, M survived``.

Each mutation below replaces one exact piece of text in one module with a wrong
version of it: the kind of slip a change could make (a flag for the wrong Python
versions, a check disabled, an escape dropped). For each one this script patches a
private copy of the repository (the checkout itself is never touched), runs the
tests that guard that code, and counts the mutation *killed* when they fail and
*survived* when they pass. A surviving mutation is a promise no test keeps.

Run on demand, not in CI (a full pass runs the guarding tests once per mutation):

    .venv/bin/python benchmarks/mutants.py            # all of them
    .venv/bin/python benchmarks/mutants.py -k abi     # those whose name contains "abi"
    .venv/bin/python benchmarks/mutants.py --list

Exit status: 0 when every mutation was killed; 1 when one survived or no longer
applies (its text is not in the module once: update the list with the code).
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Mutation:
    name: str
    path: str  # module under migrate/
    old: str  # must occur exactly once
    new: str
    tests: tuple[str, ...]  # pytest arguments: the tests that guard it


def m(name: str, path: str, old: str, new: str, *tests: str) -> Mutation:
    return Mutation(name, "migrate/" + path, old, new, tests)


TAGS = ("tests/test_tags.py", "tests/test_tags_abi.py", "tests/test_abi_evidence.py", "tests/test_tags_abi_table.py")
NAMES = ("tests/test_names.py",)
CONVERT = ("tests/test_convert.py", "tests/test_egginfo.py", "tests/test_namespace_code.py", "tests/test_wheel_contents.py")
MIRROR = ("tests/test_mirror.py",)
PINS = ("tests/test_pins.py", "tests/test_pins_contract.py", "tests/test_pins_checks.py")
FETCH = ("tests/test_fetch.py", "tests/test_fetch_faults.py", "tests/test_fetch_verify.py")

MUTATIONS = [
    # wheels/tags: python, ABI and platform
    m("abi: m flag through 3.9", "platforms.py", '("m" if (major, minor) < (3, 8) else "")',
      '("m" if (major, minor) < (3, 10) else "")', *TAGS),
    m("abi: no m flag from 3.3", "platforms.py", '("m" if (major, minor) < (3, 8) else "")',
      '("m" if (major, minor) < (3, 3) else "")', *TAGS),
    m("abi: u flag after 3.3", "platforms.py", "    if (major, minor) < (3, 3) and unicode == \"ucs4\":",
      "    if unicode == \"ucs4\":", *TAGS),
    m("abi: --py2-unicode ignored", "wheels/tags/abi.py", "    if options.py2_unicode:\n",
      "    if False and options.py2_unicode:\n", *TAGS),
    m("abi: abi3 suffix ignored", "wheels/tags/abi.py", 'if "abi3" in {b.suffix_abi', 'if "abi4" in {b.suffix_abi',
      *TAGS),
    m("abi: python3.dll ignored", "wheels/tags/abi.py", '"python3.dll" in', '"python3x.dll" in', *TAGS),
    m("abi: name suffix ignored", "wheels/tags/abi.py", "    if name.ucs:\n        return cpython_abi(major, minor, name.ucs)",
      "    if False:\n        return cpython_abi(major, minor, name.ucs)", *TAGS),
    m("abi: mixed UCS accepted", "wheels/tags/abi.py", 'if "both" in seen or seen == {"ucs2", "ucs4"}:',
      'if "both" in seen:', *TAGS),
    m("abi: macOS/Windows py2 not narrow", "wheels/tags/abi.py",
      'return cpython_abi(major, minor, "ucs2"), f"Python {major}.{minor} on {narrow[0]}',
      'return cpython_abi(major, minor, "ucs4"), f"Python {major}.{minor} on {narrow[0]}', *TAGS),
    m("python: bytecode-only egg tagged py2", "wheels/tags/python.py", 'py = "cp" + name.pyver.replace(".", "")',
      'py = "py" + name.pyver[0]', *TAGS, *CONVERT),
    m("python: name wins over the binary", "wheels/tags/python.py",
      "return said.version[0], said.version[1], f\"{said.how} (the egg name said",
      "return name_ver[0], name_ver[1], f\"{said.how} (the egg name said", *TAGS),
    m("python: --trust-name ignored", "wheels/tags/python.py", "    if options.trust_name:\n        found.append(P.warning(\"T001\"",
      "    if False:\n        found.append(P.warning(\"T001\"", *TAGS),
    # wheels: plan (what goes where) and namespace declarations
    m("plan: stubs kept", "wheels/plan.py", 'if "def __bootstrap__" in text and b.name in text:',
      'if "def __bootstrap__" in text and b.name in text and False:', *CONVERT),
    m("plan: namespace code counts as a declaration", "wheels/plan.py",
      "return all(ok(n) for n in tree.body) and declares[0]", "return declares[0]", *CONVERT),
    m("plan: shebang not rewritten", "wheels/plan.py", 'return b"#!python" + (m["args"] or b"")',
      'return data or b"#!python" + (m["args"] or b"")', *CONVERT),
    m("plan: binaries not executable", "wheels/plan.py",
      "return self.rewrite_shebang or bool(self.member.mode & 0o111) or is_binary(self.member.path)",
      "return self.rewrite_shebang or bool(self.member.mode & 0o111)", *CONVERT),
    # wheels: dist-info files
    m("distinfo: Metadata-Version floor 1.1", "wheels/distinfo.py", '    needed = "1.0"\n', '    needed = "1.1"\n',
      *CONVERT),
    m("distinfo: extras need only 1.2", "wheels/distinfo.py", '("Provides-Extra", extra, "2.1")',
      '("Provides-Extra", extra, "1.2")', *CONVERT),
    m("distinfo: pure wheel not purelib", "wheels/distinfo.py", "{'true' if tags.is_pure else 'false'}",
      "{'false'}", *CONVERT, "tests/test_install.py"),
    m("distinfo: RECORD lists itself with a hash", "wheels/distinfo.py", 'writer.writerow((record_path, "", ""))',
      'writer.writerow((record_path, "sha256=", "0"))', *CONVERT, "tests/test_check_broken.py"),
    m("distinfo: nspkg parents missing", "wheels/distinfo.py",
      'packages.update(".".join(parts[: i + 1]) for i in range(len(parts)))', "packages.add(ns)",
      *CONVERT, "tests/test_install.py"),
    m("distinfo: description folded wrongly", "wheels/distinfo.py", '"".join("        " + line + "\\n"',
      '"".join(line + "\\n"', *CONVERT),
    # wheels: the zip writer
    m("wheelzip: CRC of copied member not checked", "wheels/wheelzip.py", "if usize != size or got_crc != crc:",
      "if usize != size:", *CONVERT),
    m("wheelzip: RECORD hash of the compressed bytes", "wheels/wheelzip.py",
      "        for chunk in raw_chunks:\n            self._fp.write(chunk)\n",
      "        for chunk in raw_chunks:\n            self._fp.write(chunk)\n            sha.update(chunk)\n", *CONVERT),
    m("wheelzip: timestamps not fixed", "wheels/wheelzip.py", "_DOS_TIME = 0\n", "_DOS_TIME = 1\n", *CONVERT),
    m("wheelzip: UTF-8 flag never set", "wheels/wheelzip.py", "_UTF8_FLAG = 0x800", "_UTF8_FLAG = 0", *CONVERT),
    # wheels: convert
    m("convert: RECORD written before the files", "wheels/convert.py",
      "    zw.add_bytes(record, render_record(written, record))\n", "    zw.add_bytes(record, render_record([], record))\n",
      *CONVERT),
    m("convert: scripts not executable", "wheels/convert.py", "mode = 0o755 if placement.executable else 0o644",
      "mode = 0o644", *CONVERT, "tests/test_install.py"),
    m("convert: version rewrite not reported", "wheels/convert.py", 'found.append(P.info("V001"',
      'found.append(P.info("V002"', *CONVERT, *NAMES),
    # eggs: EGG-INFO and names
    m("egginfo: duplicates kept", "eggs/egginfo.py", "        if key not in seen:\n", "        if True:\n", *CONVERT),
    m("egginfo: requirement key ignores the marker", "eggs/egginfo.py", 'str(req.specifier), str(req.marker or ""))',
      'str(req.specifier), "")', *CONVERT),
    # mirror pages
    m("pages: no sha256 fragment", "mirror/pages.py", "#sha256={e.sha256}", "", *MIRROR),
    m("pages: names not escaped", "mirror/pages.py", "return text if _PLAIN_HTML.fullmatch(text) else html.escape(text)",
      "return text", *MIRROR),
    m("pages: no PEP 658 metadata attribute", "mirror/pages.py",
      "attrs.append(f'data-core-metadata=\"sha256={e.metadata_sha256}\"')", "pass", *MIRROR, *PINS),
    m("pages: requires-python dropped", "mirror/pages.py",
      "        if e.requires_python:\n            attrs.append", "        if False:\n            attrs.append", *MIRROR),
    m("pages: JSON hashes empty", "mirror/pages.py", '"hashes": {"sha256": e.sha256}', '"hashes": {}', *MIRROR),
    # pins
    m("pins: only the first wheel hashed", "pins/writers.py", "hashes = sorted({sha for _, sha in p.files})",
      "hashes = sorted({sha for _, sha in p.files[:1]})", *PINS),
    m("pins: .metadata sha256 not checked", "pins/index.py",
      "if f.metadata_sha256 and hashlib.sha256(data).hexdigest() != f.metadata_sha256:", "if False:", *PINS),
    m("pins: wheel sha256 not checked", "pins/index.py", "if f.sha256 and hashlib.sha256(data).hexdigest() != f.sha256:",
      "if False:", *PINS),
    m("pins: root markers for the host", "pins/resolve.py",
      "r.requirement.marker.evaluate(provider.env)]", "r.requirement.marker.evaluate()]", *PINS),
    m("pins: extras markers ignored", "pins/provider.py", 'return any(req.marker.evaluate({**self.env, "extra": e})',
      'return True or any(req.marker.evaluate({**self.env, "extra": e})', *PINS),
    m("pins: requires-python ignored", "pins/provider.py",
      "return SpecifierSet(f.requires_python).contains(self.python, prereleases=True)", "return True", *PINS),
    # fetch
    m("fetch: CRC failures accepted", "fetch/verify.py", "    if bad is not None:\n", "    if False:\n", *FETCH),
    m("fetch: a zip without EGG-INFO accepted", "fetch/verify.py",
      'if not any(n.startswith("EGG-INFO/") for n in names):', "if False:", *FETCH),
    m("fetch: a changed mtime not re-hashed", "fetch/verify.py",
      "return src.st_size != copy.st_size or src.st_mtime_ns > copy.st_mtime_ns", "return src.st_size != copy.st_size",
      *FETCH),
    m("fetch: folder egg symlinks not in the digest", "fetch/verify.py",
      'lines.append(f"{rel}\\0link:{os.readlink(path)}")', "pass", *FETCH),
]


def copy_repo(dest: Path) -> None:
    """The tracked files and the working-tree changes of this checkout, without .venv or caches."""
    files = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=ROOT, check=True,
                           capture_output=True).stdout.decode().split("\0")
    for rel in filter(None, files):
        src = ROOT / rel
        if src.is_symlink() or src.is_file():
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / rel, follow_symlinks=False)


def run_tests(copy: Path, tests: tuple[str, ...], jobs: int, timeout: float) -> int:
    env = {k: v for k, v in os.environ.items() if k not in ("PIP_FIND_LINKS", "PIP_INDEX_URL")}
    env["PYTHONPATH"] = str(copy)  # the mutant, also in subprocesses that run ``python -m migrate``
    cmd = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", "-n", str(jobs), *tests]
    try:
        return subprocess.run(cmd, cwd=copy, env=env, capture_output=True, timeout=timeout).returncode
    except subprocess.TimeoutExpired:
        return -1  # a hang is a failure the user would notice: killed


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-k", default="", help="only mutations whose name contains this")
    ap.add_argument("-j", type=int, default=2, help="pytest-xdist workers per run (default 2)")
    ap.add_argument("--timeout", type=float, default=900, help="seconds per mutation's test run")
    ap.add_argument("--list", action="store_true", help="list the mutations and exit")
    args = ap.parse_args()
    chosen = [mu for mu in MUTATIONS if args.k.lower() in mu.name.lower()]
    if args.list:
        for mu in chosen:
            print(f"{mu.name:50} {mu.path}")
        return 0
    killed, survived, stale = [], [], []
    with tempfile.TemporaryDirectory(prefix="mutants-") as tmp:
        copy = Path(tmp)
        copy_repo(copy)
        for mu in chosen:
            target = copy / mu.path
            original = target.read_text(encoding="utf-8")
            if original.count(mu.old) != 1:
                stale.append(mu)
                print(f"STALE     {mu.name}: the text to replace occurs {original.count(mu.old)} times in {mu.path}")
                continue
            target.write_text(original.replace(mu.old, mu.new), encoding="utf-8")
            start = time.monotonic()
            try:
                rc = run_tests(copy, mu.tests, args.j, args.timeout)
            finally:
                target.write_text(original, encoding="utf-8")
            verdict = "killed" if rc not in (0, 5) else "SURVIVED" if rc == 0 else "NO TESTS"
            (killed if rc not in (0, 5) else survived).append(mu)
            print(f"{verdict:9} {mu.name} ({time.monotonic() - start:.0f} s)", flush=True)
    print(f"{len(killed)} killed, {len(survived)} survived" + (f", {len(stale)} stale" if stale else ""))
    return 0 if not survived and not stale else 1


if __name__ == "__main__":
    sys.exit(main())
