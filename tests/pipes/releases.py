"""Deployed Tinybird projects for the host's tests: datafiles written as a release, published
for the length of a test."""
from __future__ import annotations

import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings

from pipes import catalogue
from pipes.datafiles import Project


def write_release(base: Path, name: str, files: dict[str, str]) -> Path:
    """``files`` (relative path -> datafile text, dedented) as the release ``name`` under ``base``."""
    folder = base / catalogue.RELEASES / name
    for relative, text in files.items():
        path = folder / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip())
    return folder


@contextmanager
def published(release: Path) -> Iterator[Project]:
    """``release`` as the deployed project while the block runs."""
    catalogue.publish(release)
    current = catalogue.current()
    assert current is not None
    try:
        yield current
    finally:
        (Path(settings.PIPES_PROJECT_DIR) / catalogue.CURRENT).unlink(missing_ok=True)
