"""The host's engine: one per process, from the configured URL (``pipes.engine_choice``), opened on
first use.

chDB gives a process one data folder, and a folder one process, so the host keeps exactly one
engine and opens it lazily: a process that never serves a deployed pipe (a page-only gunicorn
worker, ``manage.py migrate``) never takes the folder. Every caller in ``pipes`` asks here.
"""
from __future__ import annotations

import threading

from pipes import engine_choice
from pipes.engine import Engine, engine_from_url

_lock = threading.Lock()
_engine: Engine | None = None


def engine() -> Engine:
    """The process's engine, opened now if it is not open yet."""
    global _engine
    if _engine is None:
        with _lock:
            if _engine is None:
                _engine = engine_from_url(engine_choice.configured_url())
    return _engine


def close() -> None:
    """Close the process's engine (tests, shutdown); the next ``engine()`` opens it again."""
    global _engine
    with _lock:
        if _engine is not None:
            _engine.close()
            _engine = None
