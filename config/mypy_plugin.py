"""A mypy plugin that makes django-stubs see this project's ``pipes`` app, not the standard library's.

django-stubs fills Django's app registry inside the mypy process, where ``sys.path`` starts with
the virtualenv's ``bin`` folder and the project folder comes last. Python 3.11 still ships a
``pipes`` module, so ``"pipes"`` in ``INSTALLED_APPS`` resolved to it and the plugin saw no pipe
models (no ``objects``, no reverse relations). mypy.ini lists this plugin before django-stubs'.
"""
from __future__ import annotations

import sys
from pathlib import Path

from mypy.plugin import Plugin

PROJECT_DIR = str(Path(__file__).resolve().parent.parent)


def plugin(version: str) -> type[Plugin]:
    # Here rather than at import: mypy expects sys.path unchanged by importing a plugin file.
    if sys.path[:1] != [PROJECT_DIR]:
        sys.path.insert(0, PROJECT_DIR)
    if not hasattr(sys.modules.get("pipes"), "__path__"):
        sys.modules.pop("pipes", None)  # the standard library's module, if anything imported it
    return Plugin
