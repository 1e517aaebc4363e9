"""Galaxy's fallback for missing eggs and the pinned-requirements.txt writer, on small made-up inputs."""
from __future__ import annotations

import os

from migrate.fetch.listing import Link
from migrate.fetch.selection import Selection, describe_missing, pick_alternative
from migrate.galaxy import eggsini
from migrate.galaxy import pinned as galaxy
from migrate.galaxy.eggsini import parse_target
from migrate.problems import Problem
from migrate.records import ChosenTags, EggRecord, Source, WheelFile

UCS4, UCS2 = parse_target("2.7", "linux-x86_64-ucs4"), parse_target("2.7", "linux-x86_64-ucs2")

INI = """\
[general]
repository = http://eggs.galaxyproject.org
no_auto = pbs_python

[eggs:platform]
psycopg2 = 2.5.1
pbs_python = 4.3.5
numpy = 1.6.0

[eggs:noplatform]
MarkupSafe = 0.12
WebError = 0.8a
Whoosh = 2.4.1

[tags]
psycopg2 = _9.2.4_static

[dependencies]
psycopg2 = numpy
"""


def links(*names):
    return [Link(f"http://eggs.galaxyproject.org/{n.split('-')[0]}/{n}", n, n.split("-")[0]) for n in names]


def wanted(ini, key, targets=(UCS4,)):
    return next(w for w in ini.wanted(list(targets)) if w.key == key)


# ---------------------------------------------------------------- the fallback


def test_pure_pins_keep_the_deployment_platforms_platform_pins_their_own():
    ini = eggsini.parse_text(INI)
    markup = wanted(ini, "MarkupSafe", [UCS4, UCS2])
    assert markup.filename == "MarkupSafe-0.12-py2.7.egg" and str(markup.target) == "py2.7"
    assert markup.deployment == (UCS4, UCS2)
    psycopg2 = [w for w in ini.wanted([UCS4, UCS2]) if w.key == "psycopg2"]
    assert [w.deployment for w in psycopg2] == [(UCS4,), (UCS2,)]
    assert Selection.make(ini).wanted()[0].deployment == (UCS4,)  # Galaxy's usual platform by default


def test_missing_pure_egg_takes_the_build_for_the_deployment_platform_and_says_so():
    ini = eggsini.parse_text(INI)
    listing = links("MarkupSafe-0.12-py2.7-linux-x86_64-ucs2.egg", "MarkupSafe-0.12-py2.7-linux-x86_64-ucs4.egg",
                    "MarkupSafe-0.12-py2.6-linux-x86_64-ucs4.egg", "MarkupSafe-0.11-py2.7-linux-x86_64-ucs4.egg")
    link, note = pick_alternative(listing, wanted(ini, "MarkupSafe"))
    assert link.filename == "MarkupSafe-0.12-py2.7-linux-x86_64-ucs4.egg"
    assert note == ("eggs.ini wants MarkupSafe-0.12-py2.7.egg, which the repository does not have; took "
                    "MarkupSafe-0.12-py2.7-linux-x86_64-ucs4.egg (a build for the deployment's platform "
                    "linux-x86_64-ucs4: Galaxy's client replaced a missing [eggs:noplatform] egg the same way)")
    # several deployment platforms: the first one the repository has a build for
    link, _ = pick_alternative(links("MarkupSafe-0.12-py2.7-linux-x86_64-ucs2.egg"),
                               wanted(ini, "MarkupSafe", [UCS4, UCS2]))
    assert link.filename == "MarkupSafe-0.12-py2.7-linux-x86_64-ucs2.egg"


def test_pure_spelling_variant_beats_a_platform_build_and_galaxys_limits_hold():
    ini = eggsini.parse_text(INI)
    both = links("WebError-0.8a0-py2.7-linux-x86_64-ucs4.egg", "WebError-0.8a0-py2.7.egg")
    link, note = pick_alternative(both, wanted(ini, "WebError"))
    assert link.filename == "WebError-0.8a0-py2.7.egg" and "a build for" not in note
    # another platform, another Python or another version is never a stand-in
    none = links("MarkupSafe-0.12-py2.7-linux-i686-ucs4.egg", "MarkupSafe-0.12-py2.7-linux-x86_64-ucs2.egg",
                 "MarkupSafe-0.12-py2.6-linux-x86_64-ucs4.egg", "MarkupSafe-0.23-py2.7-linux-x86_64-ucs4.egg")
    w = wanted(ini, "MarkupSafe")
    assert pick_alternative(none, w) is None
    assert describe_missing(w, none).startswith("no MarkupSafe 0.12 egg for py2.7 nor a build for linux-x86_64-ucs4 ")
    # a platform egg never takes a pure one
    assert pick_alternative(links("numpy-1.6.0-py2.7.egg"), wanted(ini, "numpy")) is None


def test_macos_deployment_takes_the_10_6_intel_build_of_a_missing_pure_egg():
    ini = eggsini.parse_text(INI)
    mac = parse_target("2.7", "macosx-10.9-x86_64")
    link, note = pick_alternative(links("MarkupSafe-0.12-py2.7-macosx-10.6-intel-ucs2.egg",
                                        "MarkupSafe-0.12-py2.7-linux-x86_64-ucs4.egg"), wanted(ini, "MarkupSafe", [mac]))
    assert link.filename == "MarkupSafe-0.12-py2.7-macosx-10.6-intel-ucs2.egg"
    assert "macosx-10.9-intel-ucs2" in note and "macOS is backward compatible" in note


# ---------------------------------------------------------------- pinned-requirements.txt


def record(egg, status="converted", version=None, wheel=None, sha="0" * 64, reason=None, project=None,
           problems=(), external_libraries=()):
    path = f"/out/eggs/{egg}"
    found = {"egg": path, "source": Source(path), "status": status, "reason": reason, "project": project,
             "version": version, "problems": tuple(Problem(**p) for p in problems),
             "external_libraries": tuple(external_libraries)}
    if wheel:
        found["wheel"] = WheelFile(wheel, f"/out/wheels/{wheel}", sha, 0, ChosenTags(None, None, None, None, {}))
        found["egg_version"] = egg.split("-")[1]
        parts = egg[:-4].split("-", 3)
        found["egg_platform"] = parts[3] if len(parts) > 3 else None
    return EggRecord(**found)


RECORDS = [
    record("psycopg2-2.5.1_9.2.4_static-py2.7-linux-x86_64-ucs4.egg", version="2.5.1+9.2.4.static",
           project="psycopg2", sha="b" * 64,
           wheel="psycopg2-2.5.1+9.2.4.static-cp27-cp27mu-manylinux_2_5_x86_64.manylinux1_x86_64.whl",
           problems=[{"severity": "info", "code": "M007", "message": "added Requires-Dist numpy from eggs.ini"}]),
    record("psycopg2-2.5.1_9.2.4_static-py2.7-linux-x86_64-ucs2.egg", version="2.5.1+9.2.4.static",
           project="psycopg2", sha="a" * 64, wheel="psycopg2-2.5.1+9.2.4.static-cp27-cp27m-linux_x86_64.whl"),
    record("numpy-1.6.0-py2.7-linux-x86_64-ucs4.egg", version="1.6.0", project="numpy", sha="c" * 64,
           wheel="numpy-1.6.0-cp27-cp27mu-linux_x86_64.whl", external_libraries=["libblas.so.3"]),
    record("numpy-1.6.0-py2.7-linux-x86_64-ucs2.egg", status="failed", reason="missing: no numpy 1.6.0 egg\nfor ucs2"),
    record("MarkupSafe-0.12-py2.7-linux-x86_64-ucs4.egg", version="0.12", project="MarkupSafe", sha="d" * 64,
           wheel="markupsafe-0.12-cp27-cp27mu-manylinux_2_5_x86_64.manylinux1_x86_64.whl"),
    record("WebError-0.8a0-py2.7.egg", version="0.8a0", project="WebError", sha="e" * 64,
           wheel="weberror-0.8a0-py2-none-any.whl"),
    record("pbs_python", status="skipped", reason="in [general] no_auto"),
]


def test_one_pin_per_egg_c_extensions_first_failures_and_no_auto_at_the_end():
    ini = eggsini.parse_text(INI)
    text = galaxy.render(galaxy.pins_for(ini, RECORDS), "eggs.ini", "https://wheels.example.org/simple/")
    assert text.splitlines()[4] == "#   pip install --index-url https://wheels.example.org/simple/ -r pinned-requirements.txt"
    assert text.split("\n\n", 1)[1].splitlines() == [
        "# packages with C extensions",
        "MarkupSafe==0.12  # eggs.ini: MarkupSafe = 0.12; no pure egg in the repository: took "
        "MarkupSafe-0.12-py2.7-linux-x86_64-ucs4.egg, as Galaxy's client did",
        "numpy==1.6.0  # eggs.ini: numpy = 1.6.0; the host must provide libblas.so.3; "
        "numpy-1.6.0-py2.7-linux-x86_64-ucs2.egg failed: missing: no numpy 1.6.0 egg for ucs2",
        "psycopg2==2.5.1+9.2.4.static  # eggs.ini: psycopg2 = 2.5.1, tag _9.2.4_static; "
        "[dependencies] numpy added to its Requires-Dist",
        "",
        "# pure Python packages",
        "WebError==0.8a0  # eggs.ini: WebError = 0.8a",
        "",
        "# Not pinned: [general] no_auto (build these on each host, as Galaxy did)",
        '#pbs-python==4.3.5  # eggs.ini: pbs_python = 4.3.5; in [general] no_auto: Galaxy built this egg on each '
        'host ("scrambled" against local libraries) and never fetched it',
        "",
        "# Not pinned: no egg of these in this run",
        "#whoosh==2.4.1  # eggs.ini: Whoosh = 2.4.1; no egg of it in this run",
    ]
    # the same records in another order: the same bytes
    assert galaxy.render(galaxy.pins_for(ini, RECORDS[::-1]), "eggs.ini", "https://wheels.example.org/simple/") == text


def test_hashes_cover_every_wheel_of_the_version_and_the_comment_moves_below():
    ini = eggsini.parse_text(INI)
    text = galaxy.render(galaxy.pins_for(ini, RECORDS), hashes=True)
    assert ("psycopg2==2.5.1+9.2.4.static \\\n"
            f"    --hash=sha256:{'a' * 64} \\\n"
            f"    --hash=sha256:{'b' * 64}\n"
            "    # eggs.ini: psycopg2 = 2.5.1, tag _9.2.4_static; [dependencies] numpy added to its Requires-Dist\n") in text
    assert "--require-hashes -r pinned-requirements.txt" in text
    # pip joins "\" lines before it strips comments: no line may end in "\" after a "#"
    assert not [line for line in text.splitlines() if "#" in line and line.endswith("\\")]


def test_no_auto_egg_converted_anyway_stays_a_comment():
    ini = eggsini.parse_text(INI)
    records = RECORDS[:-1] + [record("pbs_python-4.3.5-py2.7-linux-x86_64-ucs4.egg", version="4.3.5",
                                     project="pbs_python", wheel="pbs_python-4.3.5-cp27-cp27mu-linux_x86_64.whl")]
    result = galaxy.pins_for(ini, records)
    assert "pbs_python" not in [p.name for p in result.pins]
    (pbs,) = [u for u in result.unpinned if u.kind == "no_auto"]
    assert pbs.reason.endswith("a wheel was built anyway: pbs_python-4.3.5-cp27-cp27mu-linux_x86_64.whl")


def test_written_atomically_and_left_alone_when_unchanged(tmp_path):
    ini_path = tmp_path / "eggs.ini"
    ini_path.write_text(INI)
    ini = eggsini.parse(ini_path)
    path = tmp_path / "out" / "pinned-requirements.txt"
    assert galaxy.write_pinned_requirements(ini, RECORDS, path) == path
    before = os.stat(path)
    galaxy.write_pinned_requirements(ini, RECORDS[::-1], path)
    after = os.stat(path)
    assert (before.st_ino, before.st_mtime_ns) == (after.st_ino, after.st_mtime_ns)
    galaxy.write_pinned_requirements(ini, RECORDS, path, hashes=True)  # changed: replaced, not edited
    assert os.stat(path).st_ino != before.st_ino and "--hash=sha256:" in path.read_text()
    assert sorted(p.name for p in path.parent.iterdir()) == ["pinned-requirements.txt"]
