"""Publish a large mirror: 100,000 synthetic wheel files over 10,000 projects.

    .venv/bin/python benchmarks/mirror.py [--projects 10000] [--files-per-project 10] [--keep DIR]

Measures, in one run on this machine:
  1. a full publish into an empty folder (target < 10 s),
  2. a republish with nothing changed,
  3. the incremental republish after adding one project (target < 1 s): the first
     generation made after the full one, so every unchanged project costs a link,
  4. another project added: the steady state, where the generation before the live
     one is recycled and only what changed is touched,
and prints how many project pages each run wrote, and the CPU time spent in Python
(user) and in the kernel (sys): on a busy disk creating a file costs far more than the
Python work around it. Generating the wheels is not timed (``--keep DIR`` keeps them).

Two peers, timed in the same run: the floor (the same files and links made by a bare loop
in one process) and simple503 (``-e -s -c``: a static PEP 503 tree with copied wheels and
PEP 658 ``.metadata`` files, the closest tool; installed with pip into a side venv, needs
PyPI once; ``--no-simple503`` skips it). simple503's pages are checked against the files
like ours, and with the flush on it is timed with one ``syncfs`` after it, as ours flushes. Nothing is deleted before a timed step: for about 30 s after a mass
deletion ext4 skips recently freed inodes when allocating, which makes creating files
several times slower (seen with ``perf``), so run it again only after that.
"""
from __future__ import annotations

import argparse
import hashlib
import io
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import venv
import zipfile
from pathlib import Path
from typing import NamedTuple

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from migrate import mirror  # noqa: E402

TAGS = ["py2-none-any", "py3-none-any", "cp27-cp27mu-manylinux_2_5_x86_64.manylinux1_x86_64",
        "cp36-cp36m-manylinux_2_5_x86_64.manylinux1_x86_64", "cp310-cp310-manylinux_2_17_x86_64.manylinux2014_x86_64"]


def wheel_bytes(name: str, version: str, tag: str) -> bytes:
    dist = f"{name}-{version}.dist-info"
    members = {
        f"{name}/__init__.py": f"VERSION = {version!r}\n",
        f"{dist}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
                            f"Requires-Python: >=2.7\nRequires-Dist: six\n\n",
        f"{dist}/WHEEL": f"Wheel-Version: 1.0\nGenerator: bench\nRoot-Is-Purelib: true\nTag: {tag}\n\n",
        f"{dist}/RECORD": "",
    }
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:
        for arc, text in members.items():
            zf.writestr(zipfile.ZipInfo(arc, (2020, 1, 1, 0, 0, 0)), text)
    return buf.getvalue()


def generate(folder: Path, projects: int, per_project: int, start: int = 0) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for p in range(start, start + projects):
        name = f"proj{p:05d}"
        for i in range(per_project):
            version, tag = f"1.{i // len(TAGS)}", TAGS[i % len(TAGS)]
            path = folder / f"{name}-{version}-{tag}.whl"
            if not path.exists():
                path.write_bytes(wheel_bytes(name, version, tag))
            paths.append(path)
    return paths


def floor(wheels: list[str], root: Path, durable: bool, link: bool) -> float:
    """The file-system work any publish of these wheels must do, as a bare loop in one process.

    A copy (or hard link) of every wheel; a ``.metadata`` file per release and a hard link of it
    for the release's other wheels; per project a page folder with two files and a symlink to it;
    then one flush. No reading of METADATA, no hashing, no rendering: the peer that says how much of
    a publish is the disk's and how much is ours.
    """
    started = time.perf_counter()
    packages, pages, simple = root / "packages", root / "pages", root / "simple"
    for folder in (packages, pages, simple):
        folder.mkdir(parents=True)
    page = b"<!DOCTYPE html>" + b"x" * 1500
    first_of_release: dict[tuple[str, str], str] = {}  # (project, version) -> its first .metadata file
    for wheel in wheels:
        name = os.path.basename(wheel)
        target = f"{packages}/{name}"
        if link:
            os.link(wheel, target)
        else:
            with open(wheel, "rb") as src, open(target, "xb") as dst:
                dst.write(src.read())
        project, version = name.split("-")[:2]
        first = first_of_release.get((project, version))
        if first is None:
            with open(target + ".metadata", "xb") as fp:
                fp.write(b"Metadata-Version: 2.1\n" + b"x" * 100)
            first_of_release[project, version] = target + ".metadata"
        else:
            os.link(first, target + ".metadata")
    for project in sorted({p for p, _v in first_of_release}):
        os.mkdir(f"{pages}/{project}")
        for leaf in ("index.html", "index.json"):
            with open(f"{pages}/{project}/{leaf}", "xb") as fp:
                fp.write(page)
        os.symlink(f"../pages/{project}", f"{simple}/{project}")
    if durable:
        os.sync()
    return time.perf_counter() - started


class _Cpu(NamedTuple):
    ru_utime: float
    ru_stime: float


def _cpu() -> _Cpu:
    """CPU seconds of this process and its finished pool workers."""
    me, workers = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return _Cpu(me.ru_utime + workers.ru_utime, me.ru_stime + workers.ru_stime)


def verify(root: Path, wheels: list[str], sample: int = 50) -> None:
    """Spot-check the mirror: every link of some project pages names a file with that name and hash."""
    by_name = {os.path.basename(w): w for w in wheels}
    projects = sorted({name.split("-")[0] for name in by_name})
    for project in projects[::max(1, len(projects) // sample)] + projects[-1:]:
        page = root / "simple" / project / "index.html"
        links = re.findall(r'href="([^"#]+)#sha256=([0-9a-f]+)"', page.read_text())
        assert links and len(links) == sum(1 for n in by_name if n.startswith(project + "-")), page
        for href, sha in links:
            served = (page.parent / href).resolve()
            assert hashlib.sha256(served.read_bytes()).hexdigest() == sha, href
            assert Path(by_name[served.name]).read_bytes() == served.read_bytes(), href


def simple503_exe(where: Path) -> Path:
    """simple503 in a venv of its own (pip, PyPI)."""
    venv.create(where, with_pip=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}
    subprocess.run([where / "bin" / "python", "-m", "pip", "install", "-q", "simple503"], check=True,
                   env=dict(env, PIP_CONFIG_FILE=os.devnull, PIP_DISABLE_PIP_VERSION_CHECK="1"))
    return where / "bin" / "simple503"


def run_simple503(exe: Path, wheel_dir: Path, target: Path, durable: bool) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of ``simple503 -e -s -c`` (+ one sync when ``durable``)."""
    started = time.perf_counter()
    proc = subprocess.Popen([str(exe), "-e", "-s", "-c", str(wheel_dir), str(target)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    assert status == 0, proc.stderr.read() if proc.stderr else status
    if durable:
        syncfs(target)
    return time.perf_counter() - started, usage.ru_utime + usage.ru_stime


def syncfs(folder: Path) -> None:
    """Flush the file system of ``folder`` (what a publish with many files does before its swap)."""
    import ctypes

    fd = os.open(folder, os.O_RDONLY)
    try:
        if ctypes.CDLL(None, use_errno=True).syncfs(fd) != 0:
            os.sync()
    finally:
        os.close(fd)


def verify_simple503(target: Path, wheels: list[str], sample: int = 50) -> None:
    """simple503's pages, spot-checked like ours: each link's file, hash and PEP 658 metadata file."""
    by_name = {os.path.basename(w): w for w in wheels}
    projects = sorted({name.split("-")[0] for name in by_name})
    for project in projects[::max(1, len(projects) // sample)] + projects[-1:]:
        page = target / project / "index.html"
        links = re.findall(r'href="/([^"#]+)#sha256=([0-9a-f]+)" [^>]*data-dist-info-metadata="sha256=([0-9a-f]+)"',
                           page.read_text())
        assert links and len(links) == sum(1 for n in by_name if n.startswith(project + "-")), page
        for href, sha, meta_sha in links:
            served = target / href
            assert hashlib.sha256(served.read_bytes()).hexdigest() == sha, href
            assert Path(by_name[served.name]).read_bytes() == served.read_bytes(), href
            metadata = Path(f"{served}.metadata").read_bytes()
            assert hashlib.sha256(metadata).hexdigest() == meta_sha and metadata.startswith(b"Metadata-Version"), href


def timed(label: str, wheels: list[str], root: Path, durable: bool, link: bool, jobs: int) -> float:
    before = _cpu()
    started = time.perf_counter()
    report = mirror.publish(wheels, root, durable=durable, link=link, jobs=jobs)
    seconds = time.perf_counter() - started
    after = _cpu()
    assert report.ok, report.problems[:3]
    assert report.files == len(wheels) and report.projects == len({os.path.basename(w).split("-")[0] for w in wheels})
    verify(root, wheels)
    print(f"  {label:<48} {seconds:6.2f} s  (user {after.ru_utime - before.ru_utime:5.2f}, "
          f"sys {after.ru_stime - before.ru_stime:5.2f})  files {report.files:>6}  read {len(report.added):>6}  "
          f"pages written {report.pages_written:>5}  reused {report.pages_reused:>5}")
    return seconds


def simple503(work: Path, wheel_dir: Path, wheels: list[str], durable: bool) -> float:
    """Run simple503 once on the same wheels, check its pages, print and return its wall seconds."""
    exe = simple503_exe(work / "simple503-venv")
    os.sync()  # the venv's writes are not simple503's to flush
    seconds, cpu = run_simple503(exe, wheel_dir, work / "simple503", durable)
    verify_simple503(work / "simple503", wheels)
    print(f"  {'simple503 -e -s -c (the same wheels)':<48} {seconds:6.2f} s  (cpu {cpu:5.2f})")
    return seconds


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--projects", type=int, default=10_000)
    ap.add_argument("--files-per-project", type=int, default=10)
    ap.add_argument("--keep", metavar="DIR", help="generate the wheels here and keep them")
    ap.add_argument("--no-sync", action="store_true", help="publish without the file-system flush")
    ap.add_argument("--link", action="store_true", help="hard-link wheels into the mirror (publish --link)")
    ap.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 1, help="publish processes (default: CPUs)")
    ap.add_argument("--no-simple503", action="store_true", help="do not run simple503 (it needs PyPI once)")
    args = ap.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="egg-migrate-bench-", dir=os.environ.get("TMPDIR")))
    wheel_dir = Path(args.keep) if args.keep else work / "wheels"
    try:
        t0 = time.perf_counter()
        wheels = [str(p) for p in generate(wheel_dir, args.projects, args.files_per_project)]
        print(f"{len(wheels)} wheel files over {args.projects} projects "
              f"(generated in {time.perf_counter() - t0:.1f} s, not timed)")
        root = work / "mirror"
        durable = not args.no_sync
        link = args.link
        os.sync()  # the generated wheels' writes are not the publish's to flush
        bare = floor(wheels, work / "floor", durable, link)
        print(f"  {'the floor: the same files made by a bare loop':<48} {bare:6.2f} s")
        peer = None if args.no_simple503 else simple503(work, wheel_dir, wheels, durable)
        full = timed("full publish into an empty folder", wheels, root, durable, link, args.jobs)
        if peer is not None:
            print(f"  simple503 / full publish: {peer / full:.2f}x (goal >= 3x)")
        timed("republish, nothing changed", wheels, root, durable, link, args.jobs)
        extra_dir = work / "extra"
        extra = [str(p) for p in generate(extra_dir, 1, args.files_per_project, start=args.projects)]
        incremental = timed(f"republish after adding one project ({len(extra)} files)", wheels + extra, root,
                            durable, link, args.jobs)
        more = [str(p) for p in generate(extra_dir, 1, args.files_per_project, start=args.projects + 1)]
        steady = timed("republish after adding another project", wheels + extra + more, root, durable, link, args.jobs)
        page = root / "simple" / f"proj{args.projects + 1:05d}" / "index.html"
        assert page.read_text().count("<a ") == args.files_per_project, page
        print(f"full publish:        {full:.2f} s (target < 10 s): {'ok' if full < 10 else 'MISSED'}; "
              f"{full / bare:.2f}x the floor ({bare:.2f} s)")
        print(f"incremental publish: {incremental:.2f} s, then {steady:.2f} s (target < 1 s): "
              f"{'ok' if max(incremental, steady) < 1 else 'MISSED'}")
        print(f"machine: {os.cpu_count()} CPUs, Python {sys.version.split()[0]}, "
              f"{'with' if durable else 'without'} the flush before the swap, wheels {'linked' if link else 'copied'}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
