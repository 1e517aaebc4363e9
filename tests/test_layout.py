"""The package's shape (docs/architecture.rst): stages import down the pipeline only, and
through each other's package; modules and functions stay small; annotations say what a
tuple holds; every stage says what it takes and gives."""
from __future__ import annotations

import ast
import functools
import importlib
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "migrate"
# low to high: a module may import its own stage, the shared modules and the stages before it
STAGES = ["eggs", "binaries", "wheels", "checks", "galaxy", "fetch", "mirror", "pins", "run", "commands"]
SHARED = {"__init__", "__main__", "cli", "disklog", "errors", "exports", "fsutil", "interpreters", "jsonstream", "parallel",
          "intmap", "platforms", "problems", "recent", "records", "spill"}
MAX_MODULE_LINES, MAX_FUNCTION_LINES = 400, 60


def _modules():
    for path in sorted(PACKAGE.rglob("*.py")):
        yield ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts), path


MODULES = dict(_modules())


@functools.lru_cache(maxsize=None)
def trees() -> dict:
    """Every module's syntax tree, parsed when a test first asks (not at collection, in every worker)."""
    return {name: ast.parse(path.read_text("utf-8")) for name, path in MODULES.items()}


@functools.lru_cache(maxsize=None)
def nodes() -> dict:
    """Every node of every module's tree, walked once for the tests that look at them all (a walk of
    the package is a quarter of a second of CPU; four tests walked it)."""
    return {name: list(ast.walk(tree)) for name, tree in trees().items()}


def _stage(module: str):
    part = module.split(".")[1] if "." in module else "__init__"
    return None if part in SHARED else part


def _rank(module: str) -> int:
    """-1 for the shared modules (below every stage), len(STAGES) for the command line entry."""
    stage = _stage(module)
    if stage is None:
        return len(STAGES) if module in ("migrate.cli", "migrate.__main__") else -1
    return STAGES.index(stage)


def _imports(walked):
    for node in walked:
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("migrate"):
            if node.module == "migrate":
                yield from (f"migrate.{alias.name}" for alias in node.names if alias.name != "__version__")
            else:
                yield node.module
        elif isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names if alias.name.startswith("migrate"))


def test_every_stage_is_a_known_package():
    found = {p.name for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    assert found == set(STAGES)


@pytest.mark.parametrize("stage", STAGES)
def test_each_stage_says_what_it_takes_and_gives(stage):
    doc = ast.get_docstring(trees()[f"migrate.{stage}.__init__"])
    assert doc and len(doc.split()) >= 12, f"migrate/{stage}/__init__.py needs a docstring"


def test_imports_only_go_down_the_pipeline():
    upward = [f"{module} imports {target}" for module, walked in nodes().items() for target in _imports(walked)
              if _rank(target) > _rank(module) and _stage(target) != _stage(module)]
    assert upward == []


def test_other_stages_are_imported_through_their_package():
    deep = [f"{module} imports {target}" for module, walked in nodes().items() for target in _imports(walked)
            if _stage(target) and _stage(target) != _stage(module) and target.count(".") > 1]
    assert deep == []


def test_no_module_is_long():
    long = {name: n for name, path in MODULES.items() if (n := len(path.read_text("utf-8").splitlines())) > MAX_MODULE_LINES}
    assert long == {}


def test_no_function_is_long():
    long = [f"{module}.{node.name}: {node.end_lineno - node.lineno + 1} lines"
            for module, walked in nodes().items() for node in walked
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
            and node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES]
    assert long == []


def _annotations(walked):
    for node in walked:
        if isinstance(node, ast.AnnAssign):
            yield node.annotation
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            if node.returns is not None:
                yield node.returns
            args = node.args
            for arg in args.posonlyargs + args.args + args.kwonlyargs + [args.vararg, args.kwarg]:
                if arg is not None and arg.annotation is not None:
                    yield arg.annotation


def test_no_annotation_is_a_bare_tuple():
    bare = [f"{module}:{ann.lineno}" for module, walked in nodes().items() for ann in _annotations(walked)
            if isinstance(ann, ast.Name) and ann.id == "tuple"]
    assert bare == []


def _type_checking_names(tree) -> set:
    """The names a stage's __init__ imports under ``if TYPE_CHECKING:``."""
    return {alias.asname or alias.name for node in tree.body if isinstance(node, ast.If)
            and getattr(node.test, "id", None) == "TYPE_CHECKING"
            for stmt in node.body if isinstance(stmt, ast.ImportFrom) for alias in stmt.names}


@pytest.mark.parametrize("stage", [s for s in STAGES if s != "commands"])
def test_each_stage_exports_what_it_shows_type_checkers(stage):
    package = importlib.import_module(f"migrate.{stage}")
    assert set(package.__all__) == _type_checking_names(trees()[f"migrate.{stage}.__init__"])
    for name in package.__all__:
        getattr(package, name)  # each one resolves to its module's object


@pytest.mark.parametrize("stage", [s for s in STAGES if s != "commands"])
def test_no_public_name_is_also_a_submodule(stage):
    """Importing ``migrate.fetch.fetch`` would bind the module over a function ``fetch`` on the package."""
    package = importlib.import_module(f"migrate.{stage}")
    submodules = {p.stem for p in (PACKAGE / stage).iterdir() if p.suffix == ".py" or (p / "__init__.py").exists()}
    assert set(package.__all__) & submodules == set()


@pytest.mark.parametrize("stage", [s for s in STAGES if s != "commands"])
def test_a_public_name_has_one_definition_in_its_stage(stage):
    """A function or class name means one thing in a stage (else the package could hand out the wrong one)."""
    defined: dict = {}
    for module, tree in trees().items():
        if module.startswith(f"migrate.{stage}.") and not module.endswith("__init__"):
            for node in tree.body:
                if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
                    defined.setdefault(node.name, []).append(module)
    package = importlib.import_module(f"migrate.{stage}")
    twice = {name: defined[name] for name in package.__all__ if len(defined.get(name, [])) > 1}
    assert twice == {}
