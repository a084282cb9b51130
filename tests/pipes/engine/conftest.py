"""One chDB engine per test process.

chDB runs one embedded ClickHouse per process, on one data folder, and a folder belongs to one
process. So the engine is session-scoped, on a temporary folder of its own: under pytest-xdist
each worker is a process and gets its own folder (config.test_settings makes it). Tests that need a fresh process (restarts, a
kill during ingestion, a second owner) start subprocesses on folders of their own.
"""
from __future__ import annotations

import itertools
import os
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.conf import settings

from pipes.engine import ChdbEngine

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(autouse=True)
def _clear_cache() -> None:
    """The engine tests use no Django cache (overrides tests/pipes' autouse cache.clear())."""


@pytest.fixture(scope="session")
def chdb_engine() -> Iterator[ChdbEngine]:
    """An engine on this process's data folder (the host's own, settings.ANALYTICS_DATABASE_URL: a
    process may open one folder only), in a database of its own."""
    folder = settings.ANALYTICS_DATABASE_URL.removeprefix("chdb://")
    engine = ChdbEngine(folder, database="engine_tests")
    yield engine
    engine.close()


_names = itertools.count()


@pytest.fixture
def table_name(request: pytest.FixtureRequest) -> Callable[[str], str]:
    """Unique table names, so that tests sharing the session's engine never meet."""

    def make(stem: str = "t") -> str:
        return f"{stem}_{os.getpid()}_{next(_names)}"

    return make


def run_python(code: str, *, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """Runs ``code`` in a fresh interpreter with the project importable; returns its output."""
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=timeout,
    )
