"""pipes.datafiles is pure: it imports the standard library and itself, never Django, the ORM,
ClickHouse or the rest of pipes, so that the deployer, the engine and a --check can all use it
without a database or a settings module."""
from __future__ import annotations

import ast
import sys
from pathlib import Path

import pipes.datafiles

PACKAGE = Path(pipes.datafiles.__file__).parent


def test_it_imports_only_the_standard_library_and_itself() -> None:
    outside = []
    for path in sorted(PACKAGE.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if name.startswith("pipes.datafiles") or top in sys.stdlib_module_names or top == "__future__":
                    continue
                outside.append(f"{path.name} imports {name}")
    assert outside == []
