"""The README documents every environment variable the settings read."""
from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
READ_PATTERNS = [
    r"""env(?:\.\w+)?\(\s*["']([A-Z][A-Z0-9_]+)["']""",  # env.bool("DEBUG", ...), env("X")
    r"""_secret\(\s*["']([A-Z][A-Z0-9_]+)["']""",
    r"""_database\(\s*["']([A-Z][A-Z0-9_]+)["']""",
    r"""os\.environ\.get\(\s*["']([A-Z][A-Z0-9_]+)["']""",
]


def variables_read(path: Path) -> set[str]:
    text = path.read_text()
    return {name for pattern in READ_PATTERNS for name in re.findall(pattern, text)}


def test_every_setting_variable_is_in_the_readme_table() -> None:
    readme = (ROOT / "README.md").read_text()
    # A row of its own: the variable's name in the first cell, not a mention in another's meaning.
    table = {
        name for row in readme.splitlines() if row.startswith("|") for name in re.findall(r"`([A-Z][A-Z0-9_]+)`", row.split("|")[1])
    }
    read = variables_read(ROOT / "config" / "settings.py") | variables_read(ROOT / "config" / "gunicorn.conf.py")
    assert read, "found no variables: the patterns no longer match the settings"
    assert read - table == set()


def test_the_readme_names_both_commands() -> None:
    readme = (ROOT / "README.md").read_text()
    assert "make run" in readme and "make test" in readme
