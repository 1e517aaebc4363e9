"""run options that reach the Galaxy pins and the order of eggs.ini checks."""
import subprocess
import sys

from migrate.run.pipeline import SAMPLE_EGGS_INI, RunOptions, run


def test_hashes_reach_the_galaxy_pins(tmp_path):
    report = run(RunOptions(out=tmp_path / "out", eggs_ini=SAMPLE_EGGS_INI, hashes=True, jobs=1))
    text = report.galaxy_pins.read_text()
    assert "bx-python==0.7.2+7b95ff194725 \\\n    --hash=sha256:" in text
    assert "--require-hashes" in text


def test_bad_eggs_ini_writes_nothing(tmp_path):
    bad = tmp_path / "eggs.ini"
    bad.write_text("[general]\nrepository = http://eggs.example.org\n[eggs:platform]\nno equals sign here\n")
    out = tmp_path / "out"
    proc = subprocess.run([sys.executable, "-m", "migrate", "run", "--eggs-ini", str(bad), "-o", str(out)],
                          capture_output=True, text=True)
    assert proc.returncode == 1
    assert proc.stderr.count("\n") == 1 and "eggs.ini:4" in proc.stderr
    assert not out.exists()
