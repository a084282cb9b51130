"""Loading datasources into the analytics database: CSV/NDJSON files, or rows from Python.

A load builds a new table beside the old one, then swaps them in one transaction: readers see
the old rows until the new ones are complete, and a load that fails (a bad row, a full disk)
leaves the previous table exactly as it was. Every bad row is found before giving up, and
reported with its line number.

Public API (the demo calls ``load_rows`` directly)::

    load_rows(name, columns, rows, indexes=()) -> LoadResult

- ``name``: the datasource (table) name, a SQL identifier;
- ``columns``: ``[(name, type), ...]`` or ``[{"name": ..., "type": ...}, ...]`` with types
  String, Int, Float, Date, DateTime, Boolean;
- ``rows``: any iterable (a generator is streamed, never held in memory) of sequences in column
  order, or of mappings by column name. Values may be Python values (``int``, ``date`` ...) or
  their text ("42", "2024-01-31"); ``None`` (or "" outside String columns) is NULL;
- ``indexes``: indexes to create, each a sequence of column names or a "col,col" string
  (one composite index each), e.g. ``[("company_id", "date")]``.

Raises LoadError (nothing changed) when the name, the columns or any row is bad.
"""
from __future__ import annotations

import csv
import itertools
import json
import logging
import math
import re
import secrets
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TypeAlias, TypeVar

from django.db import DatabaseError, connections, transaction
from django.utils import timezone

from .models import Datasource
from .routers import ANALYTICS
from .types import _DATE_RE, _DATETIME_RE, _FLOAT_RE, _INT_RE, INT64_MAX, INT64_MIN, TYPE_NAMES, ParamType, Value, coerce

logger = logging.getLogger(__name__)

NAME_RE = re.compile(r"^(?!.*__)(?!sqlite_|pg_)[A-Za-z_][A-Za-z0-9_]{0,47}$", re.I)
COLUMN_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")
SAMPLE_ROWS = 1000  # rows read to infer a schema
BATCH_ROWS = 5000
MAX_REPORTED = 20

SQL_TYPES = {
    "sqlite": {
        # Declared types chosen for Django's SQLite converters: "date", "datetime" and "bool"
        # columns come back as date, datetime and bool values.
        "String": "text",
        "Int": "integer",
        "Float": "real",
        "Date": "date",
        "DateTime": "datetime",
        "Boolean": "bool",
    },
    "postgresql": {
        "String": "text",
        "Int": "bigint",
        "Float": "double precision",
        "Date": "date",
        "DateTime": "timestamp",
        "Boolean": "boolean",
    },
}


class LoadError(Exception):
    """A load that changed nothing. ``problems`` holds up to 20 "line N: ..." messages."""

    def __init__(self, message: str, problems: Sequence[str] = (), bad_rows: int = 0) -> None:
        self.summary = message
        self.problems = list(problems)
        self.bad_rows = bad_rows
        lines = [message, *(f"  {p}" for p in self.problems)]
        if bad_rows > len(self.problems):
            lines.append(f"  ... and {bad_rows - len(self.problems)} more")
        super().__init__("\n".join(lines))


@dataclass(frozen=True)
class Column:
    name: str
    type: str


@dataclass(frozen=True)
class LoadResult:
    name: str
    columns: list[Column]
    row_count: int
    seconds: float

    @property
    def schema(self) -> str:
        return format_schema(self.columns)


@dataclass(frozen=True)
class BadRow:
    """A row that could not be read at all (wrong field count, broken JSON)."""

    message: str


# A row as given: its values in column order, or a JSON object. Readers number them by line.
Row: TypeAlias = Sequence[object] | Mapping[str, object]
NumberedRow: TypeAlias = tuple[int, Row | BadRow]


# --- schemas ------------------------------------------------------------------------------------


def parse_schema(text: str) -> list[Column]:
    """'date:Date,company_id:String' -> columns; LoadError on bad syntax or types."""
    columns = []
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        name, sep, kind = part.partition(":")
        if not sep:
            raise LoadError(f"Bad schema entry {part!r}: write name:Type.")
        columns.append((name.strip(), kind.strip()))
    return check_columns(columns)


def format_schema(columns: Iterable[Column]) -> str:
    return ",".join(f"{c.name}:{c.type}" for c in columns)


def check_columns(columns: Iterable[Column | tuple[str, str] | Mapping]) -> list[Column]:
    result: list[Column] = []
    name: object
    kind: object
    for column in columns:
        if isinstance(column, Column):
            name, kind = column.name, column.type
        elif isinstance(column, Mapping):
            name, kind = column.get("name"), column.get("type")
        else:
            name, kind = column
        if not isinstance(name, str) or not COLUMN_RE.match(name):
            raise LoadError(f"Column name {name!r} is not a SQL identifier (letters, digits, _).")
        matched = next((t for t in TYPE_NAMES if t.lower() == str(kind).lower()), None)
        if matched is None:
            raise LoadError(f"Column {name}: unknown type {kind!r}; use one of {', '.join(TYPE_NAMES)}.")
        result.append(Column(name, matched))
    if not result:
        raise LoadError("A datasource needs at least one column.")
    names = [c.name.lower() for c in result]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise LoadError(f"Duplicate column names: {', '.join(duplicates)}.")
    return result


def parse_indexes(indexes: Iterable[str | Sequence[str]], columns: Sequence[Column]) -> list[tuple[str, ...]]:
    known = {c.name for c in columns}
    result = []
    for index in indexes:
        parts = [p.strip() for p in index.split(",")] if isinstance(index, str) else list(index)
        parts = [p for p in parts if p]
        unknown = [p for p in parts if p not in known]
        if not parts or unknown:
            raise LoadError(f"Index {index!r} names unknown columns: {', '.join(unknown) or '(none)'}.")
        result.append(tuple(parts))
    return result


def infer_type(values: Iterable[object]) -> str:
    """The narrowest type every non-empty value fits: Int, Float, Date, DateTime, Boolean, else String."""
    seen: set[str] = set()
    for value in values:
        if value is None or value == "":
            continue
        seen.add(_value_kind(value))
        if "String" in seen:
            return "String"
    if not seen:
        return "String"
    if len(seen) == 1:
        return seen.pop()
    if seen <= {"Int", "Float"}:
        return "Float"
    if seen <= {"Date", "DateTime"}:
        return "DateTime"
    return "String"


def _value_kind(value: object) -> str:
    if isinstance(value, bool):
        return "Boolean"
    if isinstance(value, int):
        return "Int" if INT64_MIN <= value <= INT64_MAX else "String"
    if isinstance(value, float):
        return "Float" if math.isfinite(value) else "String"
    if not isinstance(value, str):
        return "String"
    text = value.strip()
    if _INT_RE.match(text):
        digits = text.lstrip("+-")
        if len(digits) > 1 and digits.startswith("0"):
            return "String"  # "01234" is a code, not a number: keep its zeros
        return "Int" if INT64_MIN <= int(text) <= INT64_MAX else "String"
    if _FLOAT_RE.match(text):
        return "Float"
    if _DATE_RE.match(text):
        return "Date" if _fits(text, ParamType.DATE) else "String"
    if _DATETIME_RE.match(text):
        return "DateTime" if _fits(text, ParamType.DATETIME) else "String"
    if text.lower() in ("true", "false"):
        return "Boolean"
    return "String"


def _fits(value: object, kind: str) -> bool:
    try:
        coerce(value, kind)
    except ValueError:
        return False
    return True


# --- converting values --------------------------------------------------------------------------


def _converter(kind: str) -> Callable[[object], Value | None]:
    """value -> stored value (None for NULL); ValueError if it does not fit. Fast paths first."""
    if kind == ParamType.STRING:

        def convert_string(value: object) -> Value | None:
            if value is None or type(value) is str:
                return value
            return coerce(value, kind)

        return convert_string

    if kind == ParamType.FLOAT:

        def convert_float(value: object) -> Value | None:
            if type(value) is float and math.isfinite(value):
                return value
            if value is None or value == "":
                return None
            return coerce(value, kind)

        return convert_float

    if kind == ParamType.DATE:

        def convert_date(value: object) -> Value | None:
            if type(value) is str and len(value) == 10 and value[4] == "-" and value[7] == "-":
                try:
                    return date.fromisoformat(value)
                except ValueError:
                    pass
            if value is None or value == "":
                return None
            return coerce(value, kind)

        return convert_date

    def convert(value: object) -> Value | None:
        if value is None or value == "":
            return None
        return coerce(value, kind)

    return convert


# --- loading ------------------------------------------------------------------------------------


def load_rows(
    name: str,
    columns: Iterable[tuple[str, str] | Mapping | Column],
    rows: Iterable[Sequence[object] | Mapping[str, object]],
    indexes: Iterable[str | Sequence[str]] = (),
) -> LoadResult:
    """Replace datasource ``name`` with ``rows`` (see the module docstring). Row N is "line N"."""
    return _load(name, check_columns(columns), enumerate(rows, start=1), indexes, source="rows")


def load_file(
    name: str,
    path: str | Path,
    *,
    fmt: str | None = None,
    schema: str | None = None,
    indexes: Iterable[str | Sequence[str]] = (),
) -> LoadResult:
    """Replace datasource ``name`` with a CSV (with a header line) or NDJSON file, streamed.

    Without ``schema`` the columns' types are inferred from the first 1000 rows.
    """
    path = Path(path)
    fmt = (fmt or path.suffix.lstrip(".")).lower()
    if fmt == "jsonl":
        fmt = "ndjson"
    if fmt not in ("csv", "ndjson"):
        raise LoadError(f"Unknown format {fmt!r}: use --format csv or --format ndjson.")
    declared = parse_schema(schema) if schema else None
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            if fmt == "csv":
                columns, rows = _csv_rows(handle, declared)
            else:
                columns, rows = _ndjson_rows(handle, declared)
            return _load(name, columns, rows, indexes, source=path.name)
    except OSError as exc:
        raise LoadError(f"Cannot read {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise LoadError(f"{path.name} is not UTF-8 text ({exc.reason} at byte {exc.start}).") from None


def _csv_rows(handle, declared: list[Column] | None) -> tuple[list[Column], Iterator[NumberedRow]]:
    reader = csv.reader(handle)
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        raise LoadError("The file is empty: a CSV file starts with a header line.") from None
    except csv.Error as exc:
        raise LoadError(f"line 1: {exc}") from None
    bad = [h for h in header if not COLUMN_RE.match(h)]
    if bad:
        raise LoadError(f"line 1: header names {', '.join(map(repr, bad))} are not SQL identifiers.")

    def records() -> Iterator[tuple[int, list[str] | BadRow]]:
        while True:
            start = reader.line_num + 1
            try:
                fields = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                yield start, BadRow(str(exc))
                continue
            if not fields or fields == [""]:
                continue
            if len(fields) != len(header):
                yield start, BadRow(f"expected {len(header)} fields, found {len(fields)}")
                continue
            yield start, fields

    stream = records()
    if declared is not None:
        missing = [c.name for c in declared if c.name not in header]
        extra = [h for h in header if h not in {c.name for c in declared}]
        if missing or extra:
            raise LoadError(
                "The schema and the header differ: "
                + "; ".join(
                    part
                    for part in (
                        f"not in the header: {', '.join(missing)}" if missing else "",
                        f"not in the schema: {', '.join(extra)}" if extra else "",
                    )
                    if part
                )
            )
        columns = declared
        sample: list = []
    else:
        sample = list(itertools.islice(stream, SAMPLE_ROWS))
        good = [fields for _, fields in sample if not isinstance(fields, BadRow)]
        columns = check_columns((h, infer_type(row[i] for row in good)) for i, h in enumerate(header))
    positions = [header.index(c.name) for c in columns]

    def ordered() -> Iterator[NumberedRow]:
        for line, fields in itertools.chain(sample, stream):
            yield line, fields if isinstance(fields, BadRow) else [fields[i] for i in positions]

    return columns, ordered()


def _ndjson_rows(handle, declared: list[Column] | None) -> tuple[list[Column], Iterator[NumberedRow]]:
    def records() -> Iterator[tuple[int, dict[str, object] | BadRow]]:
        for line, text in enumerate(handle, start=1):
            text = text.strip()
            if not text:
                continue
            try:
                record = json.loads(text)
            except json.JSONDecodeError as exc:
                yield line, BadRow(f"not JSON: {exc.msg}")
                continue
            if not isinstance(record, dict):
                yield line, BadRow("not a JSON object")
                continue
            yield line, record

    stream = records()
    sample: list = []
    if declared is not None:
        columns = declared
        strict = False  # keys outside a declared schema are deliberately left out
    else:
        sample = list(itertools.islice(stream, SAMPLE_ROWS))
        good = [r for _, r in sample if not isinstance(r, BadRow)]
        names = list(dict.fromkeys(key for record in good for key in record))
        if not names:
            raise LoadError("No JSON objects found to infer a schema from; declare one with --schema.")
        columns = check_columns((n, infer_type(r.get(n) for r in good)) for n in names)
        strict = True
    known = {c.name for c in columns}

    def ordered() -> Iterator[NumberedRow]:
        for line, record in itertools.chain(sample, stream):
            if isinstance(record, BadRow):
                yield line, record
                continue
            if strict:
                unknown = [k for k in record if k not in known]
                if unknown:
                    yield line, BadRow(
                        f"unknown keys {', '.join(unknown)} (not in the first {SAMPLE_ROWS} lines; declare --schema)"
                    )
                    continue
            values = []
            for column in columns:
                value = record.get(column.name)
                values.append(json.dumps(value) if isinstance(value, (dict, list)) else value)
            yield line, values

    return columns, ordered()


def _load(
    name: str,
    columns: list[Column],
    rows: Iterable[NumberedRow],
    indexes: Iterable[str | Sequence[str]],
    *,
    source: str,
) -> LoadResult:
    if not isinstance(name, str) or not NAME_RE.match(name):
        raise LoadError(
            f"Datasource name {name!r} is not allowed: letters, digits and single underscores, "
            "at most 48, not starting with a digit, sqlite_ or pg_."
        )
    index_columns = parse_indexes(indexes, columns)
    started = time.perf_counter()
    connection = connections[ANALYTICS]
    vendor = connection.vendor
    if vendor not in SQL_TYPES:
        raise LoadError(f"The analytics database ({vendor}) is not supported: use SQLite or PostgreSQL.")
    qn = connection.ops.quote_name
    temporary = f"{name}__load_{secrets.token_hex(4)}"
    converters = [_converter(c.type) for c in columns]
    names = [c.name for c in columns]
    width = len(columns)
    problems: list[str] = []
    bad_rows = 0
    count = 0

    def good_rows() -> Iterator[list[Value | None]]:
        nonlocal bad_rows, count
        for line, raw in rows:
            if isinstance(raw, BadRow):
                message = raw.message
            else:
                values = [raw.get(n) for n in names] if isinstance(raw, Mapping) else raw
                message = None
                if len(values) != width:
                    message = f"expected {width} values, found {len(values)}"
                else:
                    try:
                        converted = [conv(v) for conv, v in zip(converters, values)]
                    except ValueError:
                        message = _first_problem(columns, values)
            if message is not None:
                bad_rows += 1
                if len(problems) < MAX_REPORTED:
                    problems.append(f"line {line}: {message}")
                continue
            count += 1
            if not bad_rows:  # once a row is bad nothing will be kept: just keep checking
                yield converted

    column_sql = ", ".join(f"{qn(c.name)} {SQL_TYPES[vendor][c.type]}" for c in columns)
    try:
        with transaction.atomic(using=ANALYTICS), connection.cursor() as cursor:
            cursor.execute(f"CREATE TABLE {qn(temporary)} ({column_sql})")
            if vendor == "postgresql":
                _copy(cursor, qn(temporary), [qn(n) for n in names], good_rows())
            else:
                insert = f"INSERT INTO {qn(temporary)} VALUES ({', '.join(['%s'] * width)})"
                for batch in _batched(good_rows(), BATCH_ROWS):
                    cursor.executemany(insert, batch)
            if bad_rows:
                # Leaving the block with an exception rolls back: the new table is gone, the old intact.
                raise LoadError(
                    f"{bad_rows} bad row{'s' if bad_rows != 1 else ''} in {source}; nothing was loaded "
                    f"(the previous {name} is unchanged).",
                    problems,
                    bad_rows,
                )
            cursor.execute(f"DROP TABLE IF EXISTS {qn(name)}")
            cursor.execute(f"ALTER TABLE {qn(temporary)} RENAME TO {qn(name)}")
            for i, cols in enumerate(index_columns):
                cursor.execute(f"CREATE INDEX {qn(f'{name}__ix{i}')} ON {qn(name)} ({', '.join(qn(c) for c in cols)})")
            if vendor == "postgresql":
                cursor.execute(f"ANALYZE {qn(name)}")
    except DatabaseError as exc:
        raise LoadError(f"The analytics database refused the load of {name}; nothing changed: {exc}") from None
    Datasource.objects.update_or_create(
        name=name,
        defaults={
            "columns": [{"name": c.name, "type": c.type} for c in columns],
            "row_count": count,
            "loaded_at": timezone.now(),
        },
    )
    seconds = time.perf_counter() - started
    logger.info("pipes: loaded %s rows into %s in %.1fs", count, name, seconds)
    return LoadResult(name, columns, count, seconds)


def _first_problem(columns: Sequence[Column], values: Sequence[object]) -> str:
    for column, value in zip(columns, values):
        try:
            _converter(column.type)(value)
        except ValueError as exc:
            return f"column {column.name}: {exc}"
    return "bad value"


_T = TypeVar("_T")


def _batched(items: Iterable[_T], size: int) -> Iterator[list[_T]]:
    iterator = iter(items)
    while batch := list(itertools.islice(iterator, size)):
        yield batch


def _copy(cursor, table: str, columns: list[str], rows: Iterable[list[Value | None]]) -> None:
    """PostgreSQL: COPY is several times faster than INSERT for bulk loads."""
    raw = cursor.cursor  # psycopg's own cursor under Django's wrapper
    with raw.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
