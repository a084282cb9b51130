"""What every engine offers the host: query, command, insert in batches, close.

Results are ClickHouse's own JSON output (``FORMAT JSON``) parsed once: ``meta``, ``data``,
``rows`` and ``statistics`` (elapsed, rows_read, bytes_read) are what ClickHouse measured, for
chDB and for a server alike, so the host can answer exactly as Tinybird does.

Values reach ClickHouse only as query parameters (``{name:Type}`` in the SQL, the value in
``parameters``), in the escaped text form ClickHouse's HTTP interface takes; both engines use
the same conversion (clickhouse-connect's), so a value means the same thing on either.
"""
from __future__ import annotations

import datetime
import decimal
import json
import re
import threading
import uuid
import weakref
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Generic, TypeVar

from clickhouse_connect.driver.binding import format_bind_value

from pipes.engine.ddl import qualified, quote_identifier

Parameters = Mapping[str, Any]
Row = Sequence[Any]

# One INSERT per batch, in one block: the unit a crash loses whole (per partition; see
# ``insert_settings``).
DEFAULT_BATCH_ROWS = 100_000

# Tinybird's JSON shows 64-bit integers as numbers, not strings.
QUERY_SETTINGS: dict[str, str] = {"output_format_json_quote_64bit_integers": "0"}

_CODE = re.compile(r"Code:\s*(\d+)")


class EngineError(Exception):
    """ClickHouse refused a statement; ``code`` is ClickHouse's error code when it gave one."""

    def __init__(self, message: str, code: int | None = None) -> None:
        super().__init__(message)
        self.code = code

    @classmethod
    def from_exception(cls, error: BaseException) -> EngineError:
        message = str(error).strip()
        match = _CODE.search(message)
        return cls(message, int(match.group(1)) if match else None)


class DataFolderInUse(EngineError):
    """The chDB data folder belongs to another process (or this process has another one)."""


@dataclass(frozen=True)
class Statistics:
    elapsed: float = 0.0  # seconds
    rows_read: int = 0
    bytes_read: int = 0

    def as_dict(self) -> dict[str, float | int]:
        return {"elapsed": self.elapsed, "rows_read": self.rows_read, "bytes_read": self.bytes_read}


@dataclass(frozen=True)
class Result:
    """A query's answer in Tinybird's JSON shape; ``data`` holds one dict per row."""

    meta: list[dict[str, str]]
    data: list[dict[str, Any]]
    rows: int
    statistics: Statistics = field(default_factory=Statistics)
    rows_before_limit_at_least: int | None = None

    @property
    def column_names(self) -> list[str]:
        return [column["name"] for column in self.meta]

    def as_json(self) -> dict[str, Any]:
        answer: dict[str, Any] = {"meta": self.meta, "data": self.data, "rows": self.rows}
        if self.rows_before_limit_at_least is not None:
            answer["rows_before_limit_at_least"] = self.rows_before_limit_at_least
        answer["statistics"] = self.statistics.as_dict()
        return answer

    @classmethod
    def from_clickhouse_json(cls, body: bytes | str) -> Result:
        """Parses ClickHouse's ``FORMAT JSON`` output; a statement without a result (DDL, an
        INSERT) gives an empty body, which is an empty result."""
        if not body or not body.strip():
            return cls(meta=[], data=[], rows=0)
        document = json.loads(body)
        statistics = document.get("statistics") or {}
        return cls(
            meta=document.get("meta", []),
            data=document.get("data", []),
            rows=int(document.get("rows", 0)),
            statistics=Statistics(
                elapsed=float(statistics.get("elapsed", 0.0)),
                rows_read=int(statistics.get("rows_read", 0)),
                bytes_read=int(statistics.get("bytes_read", 0)),
            ),
            rows_before_limit_at_least=document.get("rows_before_limit_at_least"),
        )


def parameter_values(parameters: Parameters | None) -> dict[str, str]:
    """Python values -> the text ClickHouse parses for ``{name:Type}`` parameters: strings
    escaped (not quoted), None as ``\\N``, arrays and tuples as quoted literals, dates ISO."""
    if not parameters:
        return {}
    return {name: _bind_text(value) for name, value in parameters.items()}


def _bind_text(value: object) -> str:
    # clickhouse-connect writes a datetime to the second: a DateTime64 value would lose its
    # fraction, so a datetime that has one is written with its microseconds.
    if isinstance(value, datetime.datetime) and value.microsecond:
        if value.tzinfo is not None:
            value = value.astimezone(datetime.timezone.utc)
        return value.replace(tzinfo=None).isoformat(sep=" ")
    return format_bind_value(value)


def _json_default(value: object) -> object:
    if isinstance(value, datetime.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, (decimal.Decimal, uuid.UUID)):
        return str(value)
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).decode("utf-8", "replace")
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    raise TypeError(f"cannot insert a {type(value).__name__}")


def encode_rows(rows: Iterable[Row]) -> bytes:
    """Rows as JSONCompactEachRow: one JSON array per line, values in column order."""
    dumps = json.JSONEncoder(default=_json_default, ensure_ascii=False, separators=(",", ":")).encode
    return "".join(dumps(list(row)) + "\n" for row in rows).encode()


def insert_settings(batch_rows: int) -> dict[str, str]:
    """Settings that keep one INSERT of up to ``batch_rows`` rows in one block. ClickHouse writes
    a block as one part per partition, each renamed into place at once: a process killed during
    the INSERT leaves none or all of a batch that falls in one partition (or a table without
    PARTITION BY). A batch spanning several partitions commits them one after another, so a
    kill can leave some of its partitions (it does, measured here); there is no
    transaction in chDB ("Transactions are not supported") to close that gap.
    ``best_effort`` parses ISO 8601 and Unix times as Tinybird's ingestion does."""
    rows = str(max(batch_rows, 1))
    return {
        "max_insert_block_size": rows,
        "min_insert_block_size_rows": rows,
        "min_insert_block_size_bytes": "0",
        "date_time_input_format": "best_effort",
    }


def batches(rows: Iterable[Row], size: int) -> Iterable[list[Row]]:
    batch: list[Row] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


T = TypeVar("T")


class _Holder(Generic[T]):
    def __init__(self, resource: T) -> None:
        self.resource = resource


class PerThread(Generic[T]):
    """One connection (or client) per thread, made on the thread's first use.

    When a thread ends, Python drops its ``threading.local`` values and a finalizer closes the
    thread's connection: a thread-per-request server (runserver) would otherwise leave one open
    connection per request. A pinned connection stays open until ``close_all()``.
    """

    def __init__(self, make: Callable[[], T], close: Callable[[T], None]) -> None:
        self._make = make
        self._close = close
        self._local = threading.local()
        self._open: list[T] = []
        self._lock = threading.Lock()
        self.closed = False

    def get(self) -> T:
        if self.closed:
            raise EngineError("the engine is closed")
        holder: _Holder[T] | None = getattr(self._local, "holder", None)
        if holder is None:
            holder = self._hold(self._make())
            weakref.finalize(holder, self._release, holder.resource)
        return holder.resource

    def pin(self, resource: T) -> None:
        """Makes ``resource`` this thread's, open until ``close_all()`` even if the thread ends."""
        self._hold(resource)

    def _hold(self, resource: T) -> _Holder[T]:
        holder = self._local.holder = _Holder(resource)
        with self._lock:
            self._open.append(resource)
        return holder

    def _release(self, resource: T) -> None:
        with self._lock:
            if not any(open_ is resource for open_ in self._open):
                return  # close_all() got there first
            self._open = [open_ for open_ in self._open if open_ is not resource]
        self._close_quietly(resource)

    def _close_quietly(self, resource: T) -> None:
        try:
            self._close(resource)
        except Exception:  # noqa: BLE001 - closing is best effort; the process may be exiting
            pass

    @property
    def count(self) -> int:
        with self._lock:
            return len(self._open)

    def close_all(self) -> None:
        self.closed = True
        with self._lock:
            resources, self._open = self._open, []
        for resource in resources:
            self._close_quietly(resource)
        self._local = threading.local()


class Engine(ABC):
    """ClickHouse for the pipe host. Implementations are safe to share between threads."""

    database: str

    def query(
        self,
        sql: str,
        parameters: Parameters | None = None,
        *,
        settings: Mapping[str, Any] | None = None,
    ) -> Result:
        """Runs a SELECT with bound ``{name:Type}`` parameters; ClickHouse's meta/data/stats.
        ``settings`` are ClickHouse settings for this query (e.g. ``max_execution_time``)."""
        return Result.from_clickhouse_json(self.query_raw(sql, parameters, settings=settings))

    @abstractmethod
    def query_raw(
        self,
        sql: str,
        parameters: Parameters | None = None,
        *,
        fmt: str = "JSON",
        settings: Mapping[str, Any] | None = None,
    ) -> bytes:
        """The same, in any ClickHouse output format (CSV, JSONEachRow, Parquet …), unparsed."""

    @abstractmethod
    def command(self, sql: str, parameters: Parameters | None = None) -> None:
        """Runs a statement without a result: DDL, INSERT … SELECT, EXCHANGE, OPTIMIZE."""

    @abstractmethod
    def _insert_batch(
        self,
        table_sql: str,
        columns_sql: str,
        column_names: Sequence[str],
        data: bytes,
        batch_rows: int,
        fmt: str = "JSONCompactEachRow",
    ) -> None:
        """One INSERT of ``data`` in ClickHouse input format ``fmt`` into ``table_sql`` (quoted)."""

    def insert(
        self,
        table: str,
        column_names: Sequence[str],
        rows: Iterable[Row],
        *,
        batch_rows: int = DEFAULT_BATCH_ROWS,
        database: str | None = None,
    ) -> int:
        """Inserts ``rows`` (values in ``column_names`` order), one INSERT per ``batch_rows``
        rows, never row by row; returns how many rows were sent. Materialized views reading
        ``table`` run on every batch. A failing batch raises; earlier batches stay."""
        if not column_names:
            raise ValueError("an insert needs column names")
        table_sql = qualified(table, database or self.database)
        columns_sql = ", ".join(quote_identifier(name) for name in column_names)
        sent = 0
        for batch in batches(rows, batch_rows):
            self._insert_batch(table_sql, columns_sql, column_names, encode_rows(batch), batch_rows)
            sent += len(batch)
        return sent

    def insert_raw(
        self,
        table: str,
        column_names: Sequence[str],
        data: bytes,
        *,
        fmt: str = "JSONEachRow",
        max_rows: int = 1_048_576,
        database: str | None = None,
    ) -> None:
        """One INSERT of ``data`` already in a ClickHouse input format (NDJSON as received,
        CSV …), parsed by ClickHouse itself: columns missing from a line take their DEFAULT.
        Up to ``max_rows`` rows stay in one block (see ``insert_settings``)."""
        if not column_names:
            raise ValueError("an insert needs column names")
        table_sql = qualified(table, database or self.database)
        columns_sql = ", ".join(quote_identifier(name) for name in column_names)
        self._insert_batch(table_sql, columns_sql, column_names, data, max_rows, fmt)

    def table_exists(self, name: str, database: str | None = None) -> bool:
        result = self.query(
            "SELECT count() AS n FROM system.tables WHERE database = {db:String} AND name = {name:String}",
            {"db": database or self.database, "name": name},
        )
        return bool(result.data[0]["n"])

    def output_columns(self, select_sql: str, parameters: Parameters | None = None) -> list[str]:
        """The names a SELECT returns, from ClickHouse (``DESCRIBE (query)``), without running it."""
        result = self.query(f"DESCRIBE ({select_sql.strip().rstrip(';')}\n)", parameters)
        return [row["name"] for row in result.data]

    @abstractmethod
    def close(self) -> None:
        """Closes every connection; the engine is unusable afterwards."""

    def __enter__(self) -> Engine:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
