"""Tinybird's clients are test-only: pinned as development packages, and never imported or served
by the product."""
from __future__ import annotations

import ast
import json
import re
from pathlib import Path

from tests.test_boundaries import crosses, imported_modules

ROOT = Path(__file__).resolve().parents[2]
NPM_CLIENTS = ("@tinybirdco/charts", "react", "react-dom", "esbuild")
PRODUCT = ("charts", "pipes", "demo", "lib", "config")


def requirement_names(path: Path) -> set[str]:
    lines = (line.split("#")[0].strip() for line in path.read_text().splitlines())
    return {re.split(r"[=<>\[ ]", line)[0].lower() for line in lines if line and not line.startswith("-")}


def test_the_python_sdk_is_a_pinned_development_requirement_only():
    assert "tinybird-python-sdk" not in requirement_names(ROOT / "requirements.txt")
    assert re.search(r"^tinybird-python-sdk==\d+\.\d+\.\d+$", (ROOT / "requirements-dev.txt").read_text(), re.M)


def test_the_chart_library_and_its_bundler_are_pinned_dev_dependencies():
    package = json.loads((ROOT / "package.json").read_text())
    lock = json.loads((ROOT / "package-lock.json").read_text())
    for name in NPM_CLIENTS:
        assert name not in package.get("dependencies", {}), name
        assert re.fullmatch(r"\d+\.\d+\.\d+", package["devDependencies"][name]), name
        # `npm ci --omit=dev` (a production install) leaves them out
        assert lock["packages"][f"node_modules/{name}"].get("dev") is True, name


def test_no_product_code_imports_the_sdk():
    found = [
        f"{path.relative_to(ROOT)} imports {name}"
        for folder in PRODUCT
        for path in sorted((ROOT / folder).rglob("*.py"))
        for name in imported_modules(ast.parse(path.read_text()), path.relative_to(ROOT).parent.parts)
        if crosses(name, "tb")
    ]
    assert found == []


def test_no_page_or_static_file_loads_the_chart_library():
    found = [
        str(path.relative_to(ROOT))
        for folder in ("templates", "static", "charts", "demo")
        for path in (ROOT / folder).rglob("*")
        if path.is_file()
        and path.suffix in (".html", ".js", ".mjs", ".json")
        and "vendor" not in path.parts
        and "@tinybirdco" in path.read_text(errors="ignore")
    ]
    assert found == []
