"""A namespace ``__init__.py`` is dropped (for a ``-nspkg.pth``) only when it declares the namespace
and does nothing else; one that also holds code is kept, with a C003 warning (README, "Problems
found while converting"), and that code imports after pip installs the wheel.
"""
from __future__ import annotations

import zipfile

import pytest

from migrate.wheels.convert import convert_egg, inspect_egg
from tests.conftest import pip_install, py
from tests.eggmaker import make_egg, pkg_info

DECLARE = "__import__('pkg_resources').declare_namespace(__name__)\n"
FALLBACK = ("try:\n    __import__('pkg_resources').declare_namespace(__name__)\n"
            "except ImportError:\n    __path__ = __import__('pkgutil').extend_path(__path__, __name__)\n")

# Declaration and nothing more: dropped, a -nspkg.pth instead.
ONLY_DECLARES = {
    "pkg_resources": DECLARE,
    "pkgutil": "__path__ = __import__('pkgutil').extend_path(__path__, __name__)\n",
    "import then call": "import pkg_resources\npkg_resources.declare_namespace(__name__)\n",
    "pkg_resources or pkgutil": FALLBACK,
    "docstring, literal dunder, pass": '"""Namespace."""\n__author__ = "someone"\n' + DECLARE + "pass\n",
}

# Declaration plus code: kept, C003.
WITH_CODE = {
    "a function": DECLARE + "def helper():\n    return 'kept'\n",
    "code in try's else": FALLBACK + "else:\n    HELPER = 'kept'\n",
    "code in try's finally": FALLBACK + "finally:\n    def helper():\n        return 'kept'\n",
    "dunder computed at import": DECLARE + "__version__ = '.'.join(['1', '0'])\n",
    "dunder function": DECLARE + "__getattr__ = lambda name: 'kept'\n",
    "call chained to the declaration": "__import__('pkg_resources').declare_namespace(__name__) or print('side effect')\n",
    "tuple assignment": "__path__, VERSION = __import__('pkgutil').extend_path(__path__, __name__), '1.0'\n",
    "declaration with a computed argument": "__import__('pkg_resources').declare_namespace(__name__.strip())\n",
}


def namespace_egg(path, init: str):
    """``nskept``, a namespace package (its __init__.py is ``init``) with one subpackage in it."""
    return make_egg(path, {
        "EGG-INFO/PKG-INFO": pkg_info("nskept", "1.0"),
        "EGG-INFO/top_level.txt": "nskept\n",
        "EGG-INFO/namespace_packages.txt": "nskept\n",
        "nskept/__init__.py": init,
        "nskept/sub/__init__.py": "NAME = 'sub'\n",
    })


def codes(facts) -> list:
    return [p.code for p in facts.problems]


@pytest.mark.parametrize("init", ONLY_DECLARES.values(), ids=list(ONLY_DECLARES))
def test_a_declaration_only_init_is_replaced_by_the_nspkg_pth(tmp_path, init):
    facts = inspect_egg(namespace_egg(tmp_path / "nskept-1.0-py2.7.egg", init))
    assert "C003" not in codes(facts)
    assert "nskept/__init__.py" not in [p.arcname for p in facts.plan.placements]
    assert facts.plan.namespaces == ("nskept",)


@pytest.mark.parametrize("init", WITH_CODE.values(), ids=list(WITH_CODE))
def test_an_init_with_code_is_kept_with_c003(tmp_path, init):
    egg = namespace_egg(tmp_path / "nskept-1.0-py2.7.egg", init)
    result = convert_egg(egg, tmp_path / "out")
    assert result.ok, result.problems
    c003 = [p for p in result.problems if p.code == "C003"]
    assert [(p.severity, p.message) for p in c003] == [
        ("warning", "namespace __init__.py with other code kept: nskept/__init__.py")]
    with zipfile.ZipFile(result.wheel) as zf:
        assert zf.read("nskept/__init__.py").decode() == init
        assert not [n for n in zf.namelist() if n.endswith("-nspkg.pth")]  # the kept file is the package


@pytest.mark.parametrize("version", ["2.7", "3.10"])
def test_the_kept_code_imports_after_pip_installs_the_wheel(tmp_path, make_venv, version):
    init = WITH_CODE["code in try's finally"]
    egg = namespace_egg(tmp_path / f"nskept-1.0-py{version}.egg", init)
    result = convert_egg(egg, tmp_path / "out")
    assert result.ok, result.problems
    python = make_venv(version)
    pip_install(python, "--no-deps", result.wheel)
    assert py(python, "import nskept, nskept.sub; print(nskept.helper() + ' ' + nskept.sub.NAME)") == "kept sub"
    assert "C003" in [p.code for p in result.problems]
