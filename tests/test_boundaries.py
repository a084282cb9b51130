"""The wall: `charts` never imports `pipes`, and `pipes` never imports `charts`.

They meet only over HTTP and the JWT contract, like Panes and Tinybird. The wall holds for the
tests of pipes too (they build tokens with PyJWT, not with charts.tokens). What both need (the
secret reader) lives in the neutral package `lib`, which both may import and which imports
neither app, nor `demo`, the one app that knows both.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
WALLS = [
    ("charts", "pipes", ROOT / "charts"),
    ("pipes", "charts", ROOT / "pipes"),
    ("tests/pipes", "charts", ROOT / "tests" / "pipes"),
    ("lib", "charts", ROOT / "lib"),
    ("lib", "pipes", ROOT / "lib"),
    ("lib", "demo", ROOT / "lib"),
]


def imported_modules(tree: ast.AST, package: tuple[str, ...] = ()) -> set[str]:
    """Every module named by an import statement (relative ones resolved against ``package``),
    or by import_module/__import__ with a literal name."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else ()
            module = ".".join([*base, *([node.module] if node.module else [])])
            if module:
                names.add(module)
            names.update(f"{module}.{alias.name}" if module else alias.name for alias in node.names)
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            func = node.func
            called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if called in ("import_module", "__import__") and isinstance(node.args[0].value, str):
                names.add(node.args[0].value)
    return names


def crosses(name: str, forbidden: str) -> bool:
    return name == forbidden or name.startswith(forbidden + ".")


def crossings(app: str, forbidden: str, folder: Path) -> list[str]:
    found = []
    for path in sorted(folder.rglob("*.py")):
        tree = ast.parse(path.read_text(), filename=str(path))
        package = path.relative_to(ROOT).parent.parts
        found.extend(
            f"{path.relative_to(ROOT)} imports {name}"
            for name in sorted(imported_modules(tree, package))
            if crosses(name, forbidden)
        )
    return found


@pytest.mark.parametrize(("app", "forbidden", "folder"), WALLS, ids=[f"{a}-{f}" for a, f, _ in WALLS])
def test_the_apps_do_not_import_each_other(app, forbidden, folder):
    assert folder.is_dir()
    assert crossings(app, forbidden, folder) == []


@pytest.mark.parametrize(
    "source",
    ["import pipes", "import pipes.models as m", "from pipes import auth", "from pipes.auth import x", "importlib.import_module('pipes.views')"],
)
def test_the_check_sees_every_form_of_import(source):
    assert any(crosses(n, "pipes") for n in imported_modules(ast.parse(source)))


def test_relative_imports_are_resolved():
    names = imported_modules(ast.parse("from .. import pipes\nfrom . import tokens"), ("charts", "management"))
    assert names == {"charts", "charts.pipes", "charts.management", "charts.management.tokens"}


def test_the_check_ignores_lookalikes():
    names = imported_modules(ast.parse("import pipeside\nfrom chartsy import x\nfrom .charts import y"), ("demo",))
    assert not any(crosses(n, "pipes") or crosses(n, "charts") for n in names)


def test_both_apps_share_the_neutral_package():
    """The secret reader is one piece: both apps' key readers import it, neither copies it."""
    for path in (ROOT / "charts" / "signing.py", ROOT / "pipes" / "auth.py", ROOT / "config" / "settings.py"):
        assert "lib.secrets" in imported_modules(ast.parse(path.read_text())), path
