"""ClickHouse for the built-in pipe host: chDB in-process by default, a server by URL to scale.

``engine_from_url("chdb:///abs/folder")`` (or a plain path) gives a ``ChdbEngine``;
``engine_from_url("clickhouse://user:pass@host:8123/db")`` (or http(s)://) a ``ServerEngine``.
Both answer ``query`` with ClickHouse's own meta, data and statistics, take values only as
``{name:Type}`` query parameters, and insert in batches.
"""
from __future__ import annotations

from urllib.parse import unquote, urlsplit

from pipes.engine.base import (
    DEFAULT_BATCH_ROWS,
    DataFolderInUse,
    Engine,
    EngineError,
    Result,
    Statistics,
)
from pipes.engine.embedded import DEFAULT_DATABASE, ChdbEngine
from pipes.engine.server import SCHEMES, ServerEngine


def engine_from_url(url: str, *, database: str | None = None) -> Engine:
    """``chdb:///abs/path`` or a path -> chDB on that folder; ``clickhouse://…``, ``http(s)://…``
    -> a server. ``database`` overrides the URL's (chDB's default is ``panes``)."""
    scheme = urlsplit(url).scheme if "://" in url else ""
    if scheme in SCHEMES:
        return ServerEngine(url, database=database)
    if scheme == "chdb":
        parts = urlsplit(url)
        if parts.netloc:
            raise ValueError("chdb:// needs an absolute path: chdb:///abs/path (three slashes)")
        path = unquote(parts.path)
    elif scheme:
        raise ValueError(f"unknown engine URL scheme {scheme}:// (chdb, clickhouse, http, https)")
    else:
        path = url
    if not path:
        raise ValueError("a chDB engine needs a data folder")
    return ChdbEngine(path, database=database or DEFAULT_DATABASE)


__all__ = [
    "DEFAULT_BATCH_ROWS",
    "ChdbEngine",
    "DataFolderInUse",
    "Engine",
    "EngineError",
    "Result",
    "ServerEngine",
    "Statistics",
    "engine_from_url",
]
