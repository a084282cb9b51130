"""Running a pipe: its params, the query on the analytics database, and the response bodies.

Params are resolved in this order, and only this order:

1. the query string (the last value of a repeated key);
2. the scope's ``fixed_params`` REPLACE those values: whatever the query string says about a fixed
   param, the fixed value is used (this is what keeps a tenant to its own rows);
3. every declared param is then validated against its type; a param with no value takes its
   default, or NULL, unless it is required.

Query-string keys the pipe does not declare are ignored, as Tinybird ignores them; so are fixed
params the pipe does not declare. ``token`` and ``format`` are reserved (never pipe params) and
``q`` (Tinybird's SQL over a pipe) is refused. Values are always bound, never pasted into SQL.
"""
from __future__ import annotations

import csv
import io
import json
import math
import time
from collections.abc import Iterable, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import date, datetime, timezone
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connections, transaction

from . import sql as pipe_sql
from .auth import AuthError
from .models import Pipe, PipeParam
from .routers import ANALYTICS
from .types import RESERVED_PARAMS, ParamType, Value, coerce_param

class ParamError(Exception):
    """A bad request: the message names the param (-> 400)."""


class PipeMisconfigured(Exception):
    """The pipe's SQL cannot be bound (e.g. an undeclared placeholder): not the caller's fault."""


@dataclass
class Result:
    columns: list[str]
    types: list[str]
    rows: list[tuple]
    rows_before_limit_at_least: int | None
    elapsed: float
    rows_read: int
    bytes_read: int
    truncated: bool  # more rows than PIPES_MAX_ROWS: the rest were dropped


# --- params -------------------------------------------------------------------------------------


def resolve_params(
    declared: Sequence[PipeParam], query: Mapping[str, Sequence[str]], fixed: Mapping[str, object]
) -> dict[str, Value | None]:
    """The typed value bound for every declared param (None binds NULL).

    ``query`` maps each query-string key to its list of values (a QueryDict's ``lists()``).
    """
    if "q" in query:
        raise ParamError("the q parameter (SQL over a pipe) is not supported by the built-in host")
    max_length = settings.PIPES_MAX_PARAM_LENGTH
    given: dict[str, object] = {}
    for key, values in query.items():
        if key in RESERVED_PARAMS or not values:
            continue
        given[key] = values[-1]
    fixed_names = set()
    for key, value in fixed.items():
        if value is None:
            # Binding NULL could widen an `x IS NULL OR ...` filter to every tenant's rows.
            raise AuthError(f"the token fixes {key} to null")
        given[key] = value  # replaces the query string's value, whatever it was
        fixed_names.add(key)

    bound: dict[str, Value | None] = {}
    for param in declared:
        raw = given.get(param.name)
        if isinstance(raw, str):
            if len(raw) > max_length:
                raise ParamError(f"param {param.name} is longer than {max_length} characters")
            if raw == "" and param.type != ParamType.STRING and param.name not in fixed_names:
                raw = None  # `?date_from=` means "not given" for non-text params
        if raw is None:
            if param.required:
                raise ParamError(f"param {param.name} is required")
            try:
                bound[param.name] = param.default_value()
            except ValueError as exc:
                raise PipeMisconfigured(f"the default of {exc}") from None
            continue
        try:
            bound[param.name] = coerce_param(param.name, raw, param.type)
        except ValueError as exc:
            raise ParamError(str(exc)) from None
    return bound


# --- running ------------------------------------------------------------------------------------


def execute(
    pipe: Pipe, declared: Sequence[PipeParam], values: Mapping[str, Value | None], *, max_rows: int | None = None
) -> Result:
    """Run ``pipe`` with bound ``values`` on the analytics database.

    At most ``max_rows`` (default PIPES_MAX_ROWS) rows are returned; the database is asked for
    one more, to know whether rows were dropped. DatabaseError propagates (the view answers 503).

    Statistics, honestly defined (Tinybird's come from ClickHouse, which counts rows *scanned*;
    neither SQLite nor PostgreSQL report that per query):

    - ``elapsed``: wall-clock seconds spent in the database, for every query of this request;
    - ``rows_read``: rows the database returned to the pipe host for this request: the result
      rows fetched (at most ``max_rows`` + 1), plus one for the count query when there is one.
      A lower bound of the work done, not rows scanned;
    - ``bytes_read``: the size of those fetched values: UTF-8 bytes of text, 8 per number, date
      or datetime, 1 per boolean, 0 per NULL.
    """
    max_rows = settings.PIPES_MAX_ROWS if max_rows is None else max_rows
    names = {p.name for p in declared}
    try:
        text = pipe_sql.strip_terminator(pipe.sql)
        bound_sql = pipe_sql.bind(text, names)
        prefix = pipe_sql.without_top_level_limit(text)
        count_sql = pipe_sql.bind(prefix, names) if prefix is not None else None
    except ValidationError as exc:
        raise PipeMisconfigured("; ".join(exc.messages)) from None
    params = {name: values.get(name) for name in names}

    connection = connections[ANALYTICS]
    started = time.perf_counter()
    with _guard(connection), connection.cursor() as cursor:
        # The wrapper caps the rows the database sends and refuses anything but one SELECT.
        cursor.execute(f"SELECT * FROM (\n{bound_sql}\n) AS pipe_result LIMIT {int(max_rows) + 1}", params)
        columns = [col[0] for col in cursor.description]
        type_codes = [col[1] for col in cursor.description]
        rows = [tuple(row) for row in cursor.fetchall()]
        before_limit = None
        if count_sql is not None:
            cursor.execute(f"SELECT COUNT(*) FROM (\n{count_sql}\n) AS pipe_count", params)
            before_limit = int(cursor.fetchone()[0])
    elapsed = time.perf_counter() - started

    truncated = len(rows) > max_rows
    rows_read = len(rows) + (1 if count_sql is not None else 0)
    bytes_read = sum(_size(value) for row in rows for value in row)
    if truncated:
        rows = rows[:max_rows]
    types = [_column_type(code, [row[i] for row in rows], connection.vendor) for i, code in enumerate(type_codes)]
    return Result(columns, types, rows, before_limit, elapsed, rows_read, bytes_read, truncated)


def _guard(connection) -> AbstractContextManager:
    """A savepoint when already inside a transaction (tests, a caller's atomic block), so a failed
    query does not break it; else nothing: a transaction of our own would take SQLite's write
    lock (transaction_mode IMMEDIATE) just to read."""
    return transaction.atomic(using=connection.alias) if connection.in_atomic_block else nullcontext()


def check_sql(sql: str, declared: Sequence[PipeParam]) -> None:
    """ValidationError unless ``sql`` binds with ``declared`` and runs on the analytics database.

    It runs inside a wrapper that returns no rows, with each param's default or NULL.
    """
    bound_sql = pipe_sql.bind(pipe_sql.strip_terminator(sql), {p.name for p in declared})
    params: dict[str, Value | None] = {}
    for param in declared:
        try:
            params[param.name] = param.default_value()
        except ValueError:
            params[param.name] = None  # the param's own form reports its bad default
    connection = connections[ANALYTICS]
    try:
        with _guard(connection), connection.cursor() as cursor:
            cursor.execute(f"SELECT * FROM (\n{bound_sql}\n) AS pipe_check LIMIT 0", params)
    except DatabaseError as exc:
        raise ValidationError(f"The SQL does not run on the analytics database: {exc}") from None


def _size(value: object) -> int:
    if value is None:
        return 0
    if isinstance(value, bool):
        return 1
    if isinstance(value, str):
        return len(value.encode())
    if isinstance(value, (bytes, memoryview)):
        return len(value)
    return 8


# PostgreSQL type OIDs -> Tinybird (ClickHouse) type names.
_PG_TYPES = {
    16: "Bool",
    20: "Int64",
    21: "Int16",
    23: "Int32",
    700: "Float32",
    701: "Float64",
    1700: "Float64",
    1082: "Date",
    1114: "DateTime",
    1184: "DateTime",
}


def _column_type(type_code: object, values: Iterable[object], vendor: str) -> str:
    """The column's Tinybird type: from PostgreSQL's OID, else from the values (SQLite)."""
    if vendor == "postgresql" and isinstance(type_code, int):
        return _PG_TYPES.get(type_code, "String")
    for value in values:
        if value is None:
            continue
        if isinstance(value, bool):
            return "Bool"
        if isinstance(value, int):
            return "Int64"
        if isinstance(value, (float, Decimal)):
            return "Float64"
        if isinstance(value, datetime):
            return "DateTime"
        if isinstance(value, date):
            return "Date"
        return "String"
    return "String"


# --- rendering ----------------------------------------------------------------------------------


def plain(value: object) -> object:
    """A value as Tinybird writes it in JSON: dates "2024-01-31", datetimes "2024-01-31 12:00:00"."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Decimal):
        number = float(value)
        return number if math.isfinite(number) else None
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(timezone.utc)
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (bytes, memoryview)):
        return bytes(value).hex()
    return str(value)


def _records(result: Result) -> Iterable[dict]:
    columns = result.columns
    for row in result.rows:
        yield {column: plain(value) for column, value in zip(columns, row)}


def to_json(result: Result) -> str:
    body: dict = {
        "meta": [{"name": n, "type": t} for n, t in zip(result.columns, result.types)],
        "data": list(_records(result)),
        "rows": len(result.rows),
    }
    if result.rows_before_limit_at_least is not None:
        body["rows_before_limit_at_least"] = result.rows_before_limit_at_least
    body["statistics"] = {
        "elapsed": result.elapsed,
        "rows_read": result.rows_read,
        "bytes_read": result.bytes_read,
    }
    return json.dumps(body, separators=(",", ":"))


def to_ndjson(result: Result) -> str:
    return "".join(json.dumps(record, separators=(",", ":")) + "\n" for record in _records(result))


def _csv_value(value: object) -> object:
    value = plain(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else value


def to_csv(result: Result) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(result.columns)
    for row in result.rows:
        writer.writerow([_csv_value(v) for v in row])
    return out.getvalue()


RENDERERS = {
    "json": (to_json, "application/json"),
    "csv": (to_csv, "text/csv; charset=utf-8"),
    "ndjson": (to_ndjson, "application/x-ndjson"),
}
