"""A Galaxy deployment end to end: eggs.ini + a served egg repository -> wheels, mirror, pins -> pip on 2.7.

The repository is the bundled sample (data/sample-repo, real eggs built by Python
2.7) served over loopback HTTP in Galaxy's ``<repo>/<key>/<egg>`` layout. The
eggs.ini is written like Galaxy 15.10's: platform and pure eggs, ``[tags]``,
``[source]``, ``[dependencies]``, ``no_auto``, comments, a commented-out pin and a
pure egg whose file is missing (only a linux-x86_64-ucs4 build exists), which
Galaxy's client replaced by that build.
"""
from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from packaging.utils import canonicalize_name

from migrate import interpreters
from migrate.galaxy import eggsini
from migrate.galaxy import pinned as galaxy
from migrate.records import parse_manifest

try:
    from tests.conftest import build_once, installed_distributions, run
    from tests.runner import in_process
    from tests.servers import TreeServer
except ImportError:  # tests/ run as a plain folder
    from conftest import build_once, installed_distributions, run
    from runner import in_process
    from servers import TreeServer

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "data" / "sample-repo"

EGGS_INI = """\
;
; Galaxy egg version configuration
;
; This file is version controlled and should not be edited by hand!
; For more information, see:
;   https://wiki.galaxyproject.org/Admin/Config/Eggs
;

[general]
repository = {repo}
; these eggs must be scrambled for your local environment
no_auto = pbs_python

[eggs:platform]
bx_python = 0.7.2
lxmlshim = 2.3
pbs_python = 4.3.5
pysam    =   0.4.2
; msgpack_python = 0.2.4

[eggs:noplatform]
brokenegg = 1.0
gxns.alpha = 1.0
gxns.beta = 1.0
gxreport: 1.2
MarkupShim = 0.12 ; C speedups are optional, as MarkupSafe's were
MiniMako = 0.4.1
;MiniMako = 0.2.5
sampledep = 1.0

; extra version information
[tags]
bx_python = _7b95ff194725
pysam = _kanwei_b10f6e722e9a

; dependency source urls, necessary for scrambling.  for an explanation, see
; the wiki page above
[source]
lxmlshim = libxml2-2.9.14

[dependencies]
bx_python = sampledep
gxreport = MiniMako
"""

PINS = [
    "# packages with C extensions",
    "bx-python==0.7.2+7b95ff194725  # eggs.ini: bx_python = 0.7.2, tag _7b95ff194725; "
    "[dependencies] sampledep added to its Requires-Dist",
    "lxmlshim==2.3  # eggs.ini: lxmlshim = 2.3; the host must provide libxml2.so.2",
    "MarkupShim==0.12  # eggs.ini: MarkupShim = 0.12; no pure egg in the repository: "
    "took MarkupShim-0.12-py2.7-linux-x86_64-ucs4.egg, as Galaxy's client did",
    "pysam==0.4.2+kanwei.b10f6e722e9a  # eggs.ini: pysam = 0.4.2, tag _kanwei_b10f6e722e9a",
    "",
    "# pure Python packages",
    "gxns.alpha==1.0  # eggs.ini: gxns.alpha = 1.0",
    "gxns.beta==1.0  # eggs.ini: gxns.beta = 1.0",
    "gxreport==1.2  # eggs.ini: gxreport = 1.2; [dependencies] MiniMako (already in its metadata)",
    "MiniMako==0.4.1  # eggs.ini: MiniMako = 0.4.1",
    "sampledep==1.0  # eggs.ini: sampledep = 1.0",
    "",
    "# Not pinned: [general] no_auto (build these on each host, as Galaxy did)",
    '#pbs-python==4.3.5  # eggs.ini: pbs_python = 4.3.5; in [general] no_auto: Galaxy built this egg on each '
    'host ("scrambled" against local libraries) and never fetched it',
    "",
    "# Not pinned: no wheel, the egg failed",
    "#brokenegg==1.0  # eggs.ini: brokenegg = 1.0; {reason}",
]

# What the sample's code does, run in the deployment's venv after the install.
SMOKE = """\
import bx, markupshim, pysam, lxmlshim, minimako, gxreport, gxns.alpha, gxns.beta, sampledep
assert bx.reverse_complement(u"AACG") == u"CGTT", bx.reverse_complement(u"AACG")
assert markupshim.escape(u"<a&b>") == u"&lt;a&amp;b&gt;", markupshim.escape(u"<a&b>")
import zlib
assert pysam.crc32(b"galaxy") == zlib.crc32(b"galaxy") & 0xffffffff, pysam.crc32(b"galaxy")
assert lxmlshim.root_name("<tool id='x'/>") == "tool"
assert gxreport.report("hg19", 3) == "HG19: 3 datasets", gxreport.report("hg19", 3)
print("smoke ok")
"""


def egg_migrate(*args, **kw) -> subprocess.CompletedProcess:
    """``egg-migrate`` from this checkout, as a user runs it."""
    return subprocess.run([sys.executable, "-m", "migrate", *map(str, args)], cwd=REPO, capture_output=True,
                          text=True, timeout=300, env=interpreters.pip_env(), **kw)


@pytest.fixture(scope="session")
def deployment(tmp_path_factory):
    """One ``egg-migrate run --eggs-ini eggs.ini URL -o OUT`` against the served sample; then a second run."""
    if not (SAMPLE / "bx_python").is_dir():
        pytest.skip("the bundled sample repository (data/sample-repo) is not here")
    return build_once(tmp_path_factory, "galaxy-deployment", _deploy)


def _deploy(base: Path) -> dict:
    out = base / "out"
    with TreeServer(SAMPLE) as server:
        ini = base / "eggs.ini"
        ini.write_text(EGGS_INI.format(repo=server.url.rstrip("/")))
        first = egg_migrate("run", "--eggs-ini", ini, server.url, "-o", out, "-j", "2")
        snapshot = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
        requests = len(server.log)
        # the second run by the entry point in this process: not its process is under test
        second = in_process(["run", "--eggs-ini", ini, server.url, "-o", out, "-j", "2"])
        log = list(server.log)
    return {"out": out, "ini": ini, "first": first, "second": second, "snapshot": snapshot,
            "first_requests": log[:requests], "second_requests": log[requests:]}


def test_run_converts_what_eggs_ini_pins_and_fails_only_the_broken_egg(deployment):
    first = deployment["first"]
    assert first.returncode == 1, first.stderr  # brokenegg is broken on purpose
    assert "Traceback" not in first.stderr
    report = (deployment["out"] / "report.txt").read_text()
    assert [line for line in report.splitlines() if "brokenegg" in line and "not a complete zip file" in line]
    assert "pin: 9 Galaxy-style pins in" in first.stderr
    wheels = sorted(p.name for p in (deployment["out"] / "wheels").glob("*.whl"))
    assert wheels == [
        "bx_python-0.7.2+7b95ff194725-cp27-cp27mu-manylinux_2_5_x86_64.manylinux1_x86_64.whl",
        "gxns_alpha-1.0-py2-none-any.whl",
        "gxns_beta-1.0-py2-none-any.whl",
        "gxreport-1.2-py2-none-any.whl",
        "lxmlshim-2.3-cp27-cp27mu-linux_x86_64.whl",
        "markupshim-0.12-cp27-cp27mu-manylinux_2_5_x86_64.manylinux1_x86_64.whl",
        "minimako-0.4.1-py2-none-any.whl",
        "pysam-0.4.2+kanwei.b10f6e722e9a-cp27-cp27mu-manylinux_2_5_x86_64.manylinux1_x86_64.whl",
        "sampledep-1.0-py2-none-any.whl",
    ]
    # Galaxy's client: exact URLs first; the listing only for the missing pure MarkupShim egg
    paths = [r.path for r in deployment["first_requests"]]
    assert "/MarkupShim/MarkupShim-0.12-py2.7.egg" in paths and "/MarkupShim/" in paths
    assert "/bx_python/" not in paths and not any(p.startswith("/pbs_python") for p in paths)
    assert "/MiniMako/MiniMako-0.2.5-py2.7.egg" not in paths


def test_pinned_requirements_is_galaxys_style_with_the_eggs_ini_mapping(deployment):
    out = deployment["out"]
    text = (out / "pinned-requirements.txt").read_text()
    header, _, body = text.partition("\n\n")
    records = json.loads((out / "manifest.json").read_text())["eggs"]
    (broken,) = [r for r in records if Path(r["egg"]).name == "brokenegg-1.0-py2.7.egg"]
    assert "not a complete zip file" in broken["reason"]
    assert body.splitlines() == [line.format(reason=broken["reason"]) for line in PINS]
    assert "from eggs.ini" in header and "0.7.2 + _7b95ff194725 -> 0.7.2+7b95ff194725" in header
    assert f"pip install --index-url {(out / 'mirror' / 'simple').as_uri()}/ -r pinned-requirements.txt" in header
    assert not any(p.name.endswith(".tmp") for p in out.iterdir())


def test_manifest_records_the_version_mapping_the_dependency_and_the_fallback(deployment):
    out = deployment["out"]
    records = {Path(r["egg"]).name: r for r in json.loads((out / "manifest.json").read_text())["eggs"]}
    bx = records["bx_python-0.7.2_7b95ff194725-py2.7-linux-x86_64-ucs4.egg"]
    assert (bx["project"], bx["egg_version"], bx["version"]) == ("bx-python", "0.7.2_7b95ff194725", "0.7.2+7b95ff194725")
    assert "sampledep" in bx["requires_dist"]
    assert {"severity": "info", "code": "M007",
            "message": "added Requires-Dist sampledep from eggs.ini [dependencies] bx_python"} in bx["problems"]
    pysam = records["pysam-0.4.2_kanwei_b10f6e722e9a-py2.7-linux-x86_64-ucs4.egg"]
    assert (pysam["egg_version"], pysam["version"]) == ("0.4.2_kanwei_b10f6e722e9a", "0.4.2+kanwei.b10f6e722e9a")
    gxreport = records["gxreport-1.2-py2.7.egg"]  # MiniMako is in its metadata already: not added twice
    assert [r for r in gxreport["requires_dist"] if r.startswith("MiniMako")] == ["MiniMako>=0.4"]
    assert not any(p["code"] == "M007" for p in gxreport["problems"])
    markup = records["MarkupShim-0.12-py2.7-linux-x86_64-ucs4.egg"]
    assert markup["status"] == "converted" and markup["source"]["url"].endswith(
        "/MarkupShim/MarkupShim-0.12-py2.7-linux-x86_64-ucs4.egg")
    assert records["pbs_python"]["status"] == "skipped" and "no_auto" in records["pbs_python"]["reason"]
    fetched = {e["filename"]: e for e in json.loads((out / "eggs" / "fetch-manifest.json").read_text())["eggs"]}
    note = fetched["MarkupShim-0.12-py2.7-linux-x86_64-ucs4.egg"]["note"]
    assert note.startswith("eggs.ini wants MarkupShim-0.12-py2.7.egg, which the repository does not have; "
                           "took MarkupShim-0.12-py2.7-linux-x86_64-ucs4.egg (a build for the deployment's "
                           "platform linux-x86_64-ucs4")
    # ... and in manifest.json, without the per-run parts of the fetch note (resumed, hard-linked...)
    assert markup["source"]["selected"] == note.split(")", 1)[0] + ")" and markup["source"]["selected"] in note
    assert bx["source"]["selected"] is None  # fetched by its own name


def test_a_second_run_fetches_nothing_and_writes_the_same_bytes(deployment):
    second, out = deployment["second"], deployment["out"]
    assert second.returncode == 1 and "Traceback" not in second.stderr
    for name in ("pinned-requirements.txt", "manifest.json", "report.txt"):
        assert (out / name).read_bytes() == deployment["snapshot"][name], name
    # nothing good downloaded again (the eggs on disk are verified); only the broken one is tried again
    again = [r.path for r in deployment["second_requests"]
             if r.method == "GET" and r.path.endswith(".egg") and r.status == 200]
    assert again == ["/brokenegg/brokenegg-1.0-py2.7.egg"]


def wheel_modules(wheel: Path) -> list:
    """Every importable module in a wheel (``.py`` and extension modules), dotted."""
    mods = set()
    with zipfile.ZipFile(wheel) as zf:
        for name in zf.namelist():
            top = name.split("/")[0]
            if top.endswith((".dist-info", ".data")) or not name.endswith((".py", ".so")):
                continue
            mod = name.rsplit(".", 1)[0].replace("/", ".")
            mods.add(mod[: -len(".__init__")] if mod.endswith(".__init__") else mod)
    return sorted(mods)


def install_and_import(python: Path, requirements: Path, index: str, *pip_args) -> str:
    run([python, "-m", "pip", "install", "--disable-pip-version-check", "--index-url", index,
         *pip_args, "-r", requirements])
    return installed_distributions(python)


def installed(frozen: str) -> set:
    """``name==version`` lines (``installed_distributions``) as canonical ``name==version`` strings."""
    pairs = (line.partition("==") for line in frozen.split())
    return {f"{canonicalize_name(name)}=={version}" for name, _, version in pairs}


def import_everything(python: Path, wheels: list) -> None:
    mods = [m for w in wheels for m in wheel_modules(w)]
    assert "bx._seqmapping" in mods and "markupshim._speedups" in mods and "gxreport.cli" in mods
    code = "import importlib\nfor m in %r:\n    importlib.import_module(m)\nprint('imported %%d' %% %d)\n" % (
        mods, len(mods))
    elsewhere = python.parent  # not a folder holding any of the sample's sources
    assert run([python, "-c", code], cwd=elsewhere).stdout.strip() == f"imported {len(mods)}"
    assert run([python, "-c", SMOKE], cwd=elsewhere).stdout.strip() == "smoke ok"
    assert run([python, "-m", "pip", "check"]).returncode == 0


def test_stock_pip_20_on_27_installs_pinned_requirements_and_imports_every_module(deployment, make_venv):
    out = deployment["out"]
    python = make_venv("2.7")
    assert run([python, "-c", "import pip; print(pip.__version__)"]).stdout.strip() == "20.3.4"
    index = (out / "mirror" / "simple").as_uri() + "/"
    frozen = install_and_import(python, out / "pinned-requirements.txt", index)
    assert installed(frozen) >= {
        "bx-python==0.7.2+7b95ff194725", "pysam==0.4.2+kanwei.b10f6e722e9a", "markupshim==0.12", "lxmlshim==2.3",
        "minimako==0.4.1", "gxreport==1.2", "gxns-alpha==1.0", "gxns-beta==1.0", "sampledep==1.0"}
    assert "brokenegg" not in frozen and "pbs" not in frozen
    import_everything(python, sorted((out / "wheels").glob("*.whl")))
    script = python.parent / "gxreport"  # the console_scripts entry point works as a command
    assert run([script, "hg19"]).stdout == "HG19: 3 datasets\n"


def test_hash_pinned_variant_installs_with_require_hashes(deployment, make_venv, tmp_path):
    out = deployment["out"]
    ini = eggsini.parse(deployment["ini"])
    records = parse_manifest(json.loads((out / "manifest.json").read_text()))
    pinned = galaxy.write_pinned_requirements(ini, records, tmp_path / "pinned-requirements.txt", hashes=True)
    text = pinned.read_text()
    assert "bx-python==0.7.2+7b95ff194725 \\\n    --hash=sha256:" in text
    assert "    # eggs.ini: bx_python = 0.7.2, tag _7b95ff194725;" in text
    python = make_venv("2.7")
    index = (out / "mirror" / "simple").as_uri() + "/"
    install_and_import(python, pinned, index, "--require-hashes")
    import_everything(python, sorted((out / "wheels").glob("*.whl")))
