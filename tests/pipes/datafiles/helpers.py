"""Small helpers for the datafile tests: text written indented in the test, read as a file."""
from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from pipes.datafiles import DatafileError


def text(source: str) -> str:
    """The test's triple-quoted text without its indentation or its first line break."""
    return textwrap.dedent(source).lstrip("\n")


def error_of(parse: Callable[[str, Path], object], source: str, path: Path) -> DatafileError:
    with pytest.raises(DatafileError) as raised:
        parse(text(source), path)
    return raised.value


def write(root: Path, files: dict[str, str]) -> Path:
    for name, source in files.items():
        target = root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text(source), encoding="utf-8")
    return root
