"""The deployed Tinybird project: the datafiles ``pipes_deploy`` last deployed, as plain data.

A deploy copies the project's datafiles into ``<PIPES_PROJECT_DIR>/releases/<id>/`` and then
points the symlink ``<PIPES_PROJECT_DIR>/current`` at it with one atomic rename; readers follow
the link. So every process (and every thread) sees either the old project or the new one, and
the datafiles themselves are the catalogue: nothing else to keep in step.
"""
from __future__ import annotations

import os
import threading
from pathlib import Path

from django.conf import settings

from pipes.datafiles import Project, load_project

CURRENT = "current"
RELEASES = "releases"

_lock = threading.Lock()
_cached: tuple[str, Project] | None = None


def project_dir() -> Path:
    return Path(settings.PIPES_PROJECT_DIR)


def current_release() -> Path | None:
    """The folder of the deployed release, or None when nothing was deployed."""
    link = project_dir() / CURRENT
    try:
        target = os.readlink(link)
    except OSError:
        return None
    return (link.parent / target).resolve()


def current() -> Project | None:
    """The deployed project (read once per release and kept), or None before the first deploy."""
    global _cached
    release = current_release()
    if release is None:
        return None
    key = str(release)
    cached = _cached
    if cached is not None and cached[0] == key:
        return cached[1]
    with _lock:
        if _cached is None or _cached[0] != key:
            _cached = (key, load_project(release))
        return _cached[1]


def publish(release: Path) -> None:
    """Make ``release`` (a folder under ``releases/``) the deployed project, atomically."""
    base = project_dir()
    temporary = base / f".{CURRENT}.{os.getpid()}.{threading.get_ident()}"
    if temporary.is_symlink() or temporary.exists():
        temporary.unlink()
    os.symlink(os.path.relpath(release, base), temporary)
    os.replace(temporary, base / CURRENT)
