"""Benchmark: ``egg-migrate fetch`` vs a sequential ``requests`` loop, same server, same run.

A loopback server (tests/servers.py) serves a Galaxy-layout repository of 200
eggs (100 projects x 2 platforms, ~20 KB each) and adds 20 ms of latency to
every request, like a repository across a WAN. Both contenders start from the
root URL, read every listing and download every egg:

- the peer: one ``requests.Session`` (keep-alive), one request after another;
- egg-migrate: ``python -m migrate fetch URL -d DIR`` (a subprocess, so its
  start-up time counts), default ``-j 8``.

Both outputs are checked byte for byte against the served files. Prints both
times and the ratio (target >= 4x). Usage: ``python benchmarks/fetch.py [--eggs N]``.
"""
from __future__ import annotations

import argparse
import hashlib
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urljoin

import requests

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.servers import Faults, TreeServer, galaxy_tree  # noqa: E402

HREF = re.compile(r'href="([^"?#]+)"')


def sequential(url: str, dest: Path) -> int:
    """The straightforward loop: root listing, each project listing, each egg, in turn."""
    dest.mkdir(parents=True, exist_ok=True)
    count = 0
    with requests.Session() as session:
        session.trust_env = False
        root = session.get(url, timeout=30)
        root.raise_for_status()
        for folder in HREF.findall(root.text):
            if not folder.endswith("/") or folder.startswith(("/", "..")):
                continue
            page_url = urljoin(url, folder)
            page = session.get(page_url, timeout=30)
            page.raise_for_status()
            for name in HREF.findall(page.text):
                if not name.endswith(".egg"):
                    continue
                resp = session.get(urljoin(page_url, name), timeout=30)
                resp.raise_for_status()
                (dest / name).write_bytes(resp.content)
                count += 1
    return count


def digests(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.glob("*.egg")}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--eggs", type=int, default=200)
    parser.add_argument("--latency", type=float, default=0.020, help="seconds added to every request")
    parser.add_argument("--size", type=int, default=20_000, help="random payload bytes per egg")
    parser.add_argument("-j", "--jobs", type=int, default=8)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-fetch-") as tmp_name:
        tmp = Path(tmp_name)
        names = [f"proj{i // 2:03d}-1.0-py2.7-linux-x86_64-{'ucs4' if i % 2 else 'ucs2'}.egg"
                 for i in range(args.eggs)]
        served = galaxy_tree(tmp / "repo", names, payload=args.size)
        with TreeServer(tmp / "repo", Faults(latency=args.latency)) as server:
            t0 = time.perf_counter()
            n = sequential(server.url, tmp / "peer")
            peer = time.perf_counter() - t0

            t0 = time.perf_counter()
            proc = subprocess.run([sys.executable, "-m", "migrate", "fetch", server.url, "-d", str(tmp / "ours"),
                                   "-j", str(args.jobs)], cwd=REPO, capture_output=True, text=True)
            ours = time.perf_counter() - t0
            requests_made = len(server.log)
        if proc.returncode != 0:
            print(proc.stdout, proc.stderr, file=sys.stderr)
            return 1
        assert n == args.eggs, n
        assert digests(tmp / "peer") == served == digests(tmp / "ours"), "contents differ"
    print(f"{args.eggs} eggs, {args.latency * 1000:.0f} ms latency per request, {args.size // 1000} KB payload each")
    print(f"sequential requests loop : {peer:6.2f} s")
    print(f"egg-migrate fetch -j {args.jobs:<3} : {ours:6.2f} s  (process start-up included)")
    print(f"ratio                    : {peer / ours:6.1f}x  (target >= 4x)")
    print(f"({requests_made} requests served in total; both outputs identical to the served files)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
