"""A ClickHouse server (or cluster) by URL, through clickhouse-connect, the official client.

``clickhouse://user:password@host:8123/database`` (or ``http://`` / ``https://``; ``clickhouses://``
means https). Queries ask the server for ``FORMAT JSON``, so ``statistics`` are the server's
own, as with chDB. Each thread gets its own client: a clickhouse-connect client keeps one HTTP
session, and ClickHouse refuses concurrent queries in one session.

Not tested against a real server here (none can be installed on this machine): the tests drive
this class through clickhouse-connect's own chDB backend (``chdb:///folder``), the same client
API, so everything above the HTTP transport is exercised.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

import clickhouse_connect
from clickhouse_connect.driver.client import Client

from pipes.engine.base import (
    QUERY_SETTINGS,
    Engine,
    EngineError,
    Parameters,
    PerThread,
    insert_settings,
)

SCHEMES = {"clickhouse": "http", "http": "http", "clickhouses": "https", "https": "https"}


def client_arguments(url: str) -> dict[str, Any]:
    """``get_client`` keyword arguments for a server URL (user, password, host, port, database;
    query-string items become settings, e.g. ``?max_execution_time=10``)."""
    parts = urlsplit(url)
    interface = SCHEMES.get(parts.scheme)
    if interface is None:
        raise ValueError(f"not a ClickHouse server URL: {parts.scheme}:// (use clickhouse:// or http(s)://)")
    if not parts.hostname:
        raise ValueError("a ClickHouse server URL needs a host")
    arguments: dict[str, Any] = {
        "interface": interface,
        "host": parts.hostname,
        "port": parts.port or (8443 if interface == "https" else 8123),
        "username": unquote(parts.username) if parts.username else "default",
        "password": unquote(parts.password) if parts.password else "",
    }
    database = unquote(parts.path.strip("/"))
    if database:
        arguments["database"] = database
    settings = dict(parse_qsl(parts.query))
    if settings:
        arguments["settings"] = settings
    return arguments


class ServerEngine(Engine):
    """ClickHouse over HTTP. ``client_factory`` replaces ``get_client`` (the tests pass one that
    opens clickhouse-connect's chDB backend)."""

    def __init__(
        self,
        url: str,
        *,
        database: str | None = None,
        client_factory: Callable[[], Client] | None = None,
    ) -> None:
        if client_factory is None:
            arguments = client_arguments(url)
            if database:
                arguments["database"] = database
            # Session ids would serialize a thread's queries server-side for nothing.
            arguments.setdefault("autogenerate_session_id", False)

            def client_factory() -> Client:
                return clickhouse_connect.get_client(**arguments)

        self.url = url
        self._factory = client_factory
        self._clients: PerThread[Client] = PerThread(self._connect, lambda client: client.close())
        self.database = database or self._clients.get().database or "default"

    def _connect(self) -> Client:
        try:
            return self._factory()
        except Exception as error:
            raise EngineError.from_exception(error) from error

    def query_raw(
        self,
        sql: str,
        parameters: Parameters | None = None,
        *,
        fmt: str = "JSON",
        settings: Mapping[str, Any] | None = None,
    ) -> bytes:
        try:
            return self._clients.get().raw_query(
                sql.rstrip().rstrip(";"),
                parameters=dict(parameters or {}),
                settings={**QUERY_SETTINGS, **(settings or {})},
                fmt=fmt,
            )
        except Exception as error:
            raise EngineError.from_exception(error) from error

    def command(self, sql: str, parameters: Parameters | None = None) -> None:
        try:
            self._clients.get().command(sql, parameters=dict(parameters or {}))
        except Exception as error:
            raise EngineError.from_exception(error) from error

    def _insert_batch(
        self,
        table_sql: str,
        columns_sql: str,
        column_names: Sequence[str],
        data: bytes,
        batch_rows: int,
        fmt: str = "JSONCompactEachRow",
    ) -> None:
        try:
            self._clients.get().raw_insert(
                table_sql,
                column_names=list(column_names),
                insert_block=data,
                settings=insert_settings(batch_rows),
                fmt=fmt,
            )
        except Exception as error:
            raise EngineError.from_exception(error) from error

    def close(self) -> None:
        self._clients.close_all()
