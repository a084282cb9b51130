"""Tinybird's Events API for the built-in host: NDJSON lines into a deployed datasource.

Each line goes through the datasource's jsonpaths (``pipes.datafiles.jsonpath``, the parser the
deploy checked them with) into one flat JSON object per row, keyed by column; the batch goes to
ClickHouse in one ``JSONEachRow`` INSERT, so ClickHouse parses the types, fills omitted columns
with their DEFAULT, and runs the materialized views on the block.

What Tinybird quarantines is quarantined here, never dropped and never a 500: a line that is not
JSON or not an object, a value missing (or null) in a column that is neither Nullable nor has a
DEFAULT, anything but a JSON number in a number column (Tinybird quarantines "3" for an Int, and
ClickHouse would wrap 300 into a UInt8 silently), and any value ClickHouse cannot parse as its
column's type. The last kind is found only when ClickHouse refuses the batch: the batch is then checked in a scratch Memory table with ClickHouse's own parser
(``input_format_allow_errors_*``), one column at a time for the reasons, and the good rows are
inserted alone. Quarantined rows go to ``<name>_quarantine`` with Tinybird's ``c__error_column``
and ``c__error``, the values as received, and the whole line in ``c__raw``.

One request is one INSERT of one block: a process killed during it leaves all or none of the
request's rows in each partition (see ``pipes.engine.base.insert_settings`` for the limit across
partitions).
"""
from __future__ import annotations

import dataclasses
import json
import math
import re
import uuid
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import orjson

from pipes.datafiles import Column, Datasource
from pipes.datafiles.jsonpath import EACH, Step, parse_jsonpath
from pipes.engine import Engine, EngineError
from pipes.engine.ddl import drop_table, qualified, quarantine_columns, quarantine_name, quote_identifier

MAX_BODY_BYTES = 10 * 1024 * 1024  # Tinybird: up to 10 MB per request, decompressed too
_READ_CHUNK = 256 * 1024

# ClickHouse errors that say nothing about a row: the batch is not retried row by row.
_NOT_ABOUT_ROWS = frozenset(
    {
        16,  # NO_SUCH_COLUMN_IN_TABLE
        60,  # UNKNOWN_TABLE
        81,  # UNKNOWN_DATABASE
        159,  # TIMEOUT_EXCEEDED
        241,  # MEMORY_LIMIT_EXCEEDED
        242,  # TABLE_IS_READ_ONLY
        243,  # NOT_ENOUGH_SPACE
        252,  # TOO_MANY_PARTS
    }
)

_WRAPPER_RE = re.compile(r"^\s*(Nullable|LowCardinality)\s*\((.*)\)\s*$", re.S)
_INT_RE = re.compile(r"^(U?)Int(8|16|32|64|128|256)$")


class Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


class BodyTooLarge(Exception):
    """The body is over MAX_BODY_BYTES, as sent or once decompressed (-> 413)."""


class BatchRefused(Exception):
    """ClickHouse refused a batch whose every row parses: a materialized view or a DEFAULT
    failed. ClickHouse writes the datasource's part before its views run, so the rows may be
    stored without their views' rows; the message says so, and a 4xx keeps clients from retrying
    into duplicates."""


class BadBody(Exception):
    """The body cannot be read at all, e.g. broken gzip (-> 400)."""


def read_body(stream: Readable, *, encoding: str = "", limit: int = MAX_BODY_BYTES) -> bytes:
    """The request body, decompressed when ``Content-Encoding`` is gzip (or deflate), read in
    chunks and never more than ``limit`` bytes of output: a small gzip bomb is refused after
    ``limit`` bytes, not after inflating it whole."""
    encoding = encoding.strip().lower()
    if encoding in ("", "identity"):
        raw = _read_capped(stream, limit)
        return raw
    if encoding not in ("gzip", "x-gzip", "deflate"):
        raise BadBody(f"Content-Encoding {encoding} is not supported: use gzip")
    # 32 + 15: zlib or gzip headers, detected; the compressed body is capped like a plain one.
    inflater = zlib.decompressobj(47)
    out = bytearray()
    received = 0
    try:
        while True:
            chunk = stream.read(_READ_CHUNK)
            if not chunk:
                break
            received += len(chunk)
            if received > limit:
                raise BodyTooLarge
            data = chunk
            while data:
                out += inflater.decompress(data, limit + 1 - len(out))
                if len(out) > limit:
                    raise BodyTooLarge
                data = inflater.unconsumed_tail
            if inflater.eof:
                break
        out += inflater.flush(limit + 1 - len(out))
    except zlib.error as exc:
        raise BadBody(f"the body is not valid {encoding}: {exc}") from None
    if len(out) > limit:
        raise BodyTooLarge
    if not inflater.eof:
        raise BadBody(f"the {encoding} body is truncated")
    return bytes(out)


def _read_capped(stream: Readable, limit: int) -> bytes:
    parts: list[bytes] = []
    size = 0
    while True:
        chunk = stream.read(_READ_CHUNK)
        if not chunk:
            return b"".join(parts)
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge
        parts.append(chunk)


# Columns ----------------------------------------------------------------------------------


def _base_type(type_: str) -> tuple[str, bool]:
    """(the type without Nullable/LowCardinality, whether it is Nullable)."""
    nullable = False
    while match := _WRAPPER_RE.match(type_):
        nullable = nullable or match.group(1) == "Nullable"
        type_ = match.group(2)
    return type_.strip(), nullable


def _number_check(base: str) -> Callable[[Any], bool] | None:
    """For Int*/UInt*/Float* columns, whether a JSON value fits; None for other types."""
    if base in ("Float32", "Float64"):
        return lambda value: type(value) in (float, int, bool)
    match = _INT_RE.match(base)
    if not match:
        return None
    bits = int(match.group(2))
    low, high = (0, 2**bits - 1) if match.group(1) else (-(2 ** (bits - 1)), 2 ** (bits - 1) - 1)
    return lambda value: (type(value) is int and low <= value <= high) or type(value) is bool


Getter = Callable[[Any], Any]


@dataclass(frozen=True)
class Field:
    """One column as ingestion sees it: where its value sits and what it accepts."""

    name: str
    type: str
    steps: tuple[Step, ...]
    nullable: bool
    # Tinybird quarantines a missing value unless the column is Nullable or has a DEFAULT; an
    # Array column takes its empty array.
    required: bool
    # A number column takes JSON numbers only (and booleans, as ClickHouse does): Tinybird
    # quarantines "3" for an Int, and ClickHouse would wrap 300 into a UInt8 silently.
    fits: Callable[[Any], bool] | None = dataclasses.field(compare=False, repr=False)
    get: Getter = dataclasses.field(compare=False, repr=False)  # document -> value, or _MISSING


def fields_of(datasource: Datasource) -> tuple[Field, ...]:
    """The datasource's columns with their parsed jsonpaths; a schema without jsonpaths reads
    each column from the top-level key of its name, as Tinybird does."""
    fields = []
    for column in datasource.columns:
        base, nullable = _base_type(column.type)
        steps = _steps(column)
        fields.append(
            Field(
                name=column.name,
                type=column.type,
                steps=steps,
                nullable=nullable,
                required=not (nullable or column.default is not None or base.startswith("Array(")),
                fits=_number_check(base),
                get=getter(steps),
            )
        )
    return tuple(fields)


def _steps(column: Column) -> tuple[Step, ...]:
    if column.jsonpath:
        return parse_jsonpath(column.jsonpath)
    return (column.name,)


_MISSING = object()


def extract(document: Any, steps: Sequence[Step]) -> Any:
    """The value at ``steps`` in ``document``; ``_MISSING`` when a step finds nothing. A ``[:]``
    step maps the rest of the path over every item of the array (items without it are skipped)."""
    return getter(tuple(steps))(document)


def getter(steps: tuple[Step, ...]) -> Getter:
    """``steps`` made into one function, once per datasource rather than walked per line: the
    jsonpaths run for every column of every line."""
    if EACH in steps:
        at = steps.index(EACH)
        outer, inner = getter(steps[:at]), getter(steps[at + 1 :])

        def each(document: Any) -> Any:
            items = outer(document)
            if type(items) is not list:
                return _MISSING
            return [value for value in map(inner, items) if value is not _MISSING]

        return each
    if not steps:
        return lambda document: document
    if len(steps) == 1 and isinstance(steps[0], str):
        key = steps[0]
        return lambda document: document.get(key, _MISSING) if type(document) is dict else _MISSING

    def walk(document: Any) -> Any:
        value = document
        for step in steps:
            if isinstance(step, str):
                if type(value) is not dict:
                    return _MISSING
                value = value.get(step, _MISSING)
                if value is _MISSING:
                    return _MISSING
            else:  # an index; EachItem cannot be here
                assert isinstance(step, int)
                if type(value) is not list or not -len(value) <= step < len(value):
                    return _MISSING
                value = value[step]
        return value

    return walk


# Lines -> rows ----------------------------------------------------------------------------


@dataclass
class Rejected:
    """A line for the quarantine: its values as received, and why."""

    line: str
    values: dict[str, Any]
    columns: list[str]
    errors: list[str]


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")


def _finite(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise ValueError(f"the number {text[:40]} is out of range")
    return number


_strict_loads = json.JSONDecoder(parse_constant=_refuse_constant, parse_float=_finite).decode
_strict_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
# orjson reads an integer past 64 bits as a float, losing digits a UInt128 or a String column
# keeps: a line with a run of 20 digits is read by json.
_LONG_NUMBER_RE = re.compile(rb"[0-9]{20}")
_DIGITS_AS_ZERO = bytes.maketrans(b"123456789", b"000000000")


def has_long_number(body: bytes) -> bool:
    """Whether any run of 20 digits is in ``body`` (at ~1 GB/s, so a batch is checked once)."""
    return b"0" * 20 in body.translate(_DIGITS_AS_ZERO)


# orjson parses and writes a line ~2.5x faster than json, which is most of an event's cost in
# Python. Lines it refuses go through json too, which words the error of a line that is not JSON.
def _loads(line: bytes, careful: bool) -> Any:
    if not careful or _LONG_NUMBER_RE.search(line) is None:
        try:
            return orjson.loads(line)
        except orjson.JSONDecodeError:
            pass
    return _strict_loads(line.decode("utf-8"))


def _dumps(value: Any) -> str:
    try:
        return orjson.dumps(value).decode()
    except TypeError:
        return _strict_dumps(value)


def _describe(value: Any) -> str:
    return value if isinstance(value, str) else _dumps(value)


def split_lines(body: bytes) -> Iterator[bytes]:
    """The body's non-blank lines (``\\n`` or ``\\r\\n``)."""
    for line in body.split(b"\n"):
        if line.strip():
            yield line


def transform(line: bytes, fields: Sequence[Field], careful: bool = True) -> dict[str, Any] | Rejected:
    """One NDJSON line -> the row as a flat ``{column: value}`` (omitted columns take their
    DEFAULT in ClickHouse), or why it goes to quarantine. ``careful=False`` when the whole body
    holds no number of 20 digits (``has_long_number``): the line need not be checked for one."""
    try:
        document = _loads(line, careful)
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
        text = line.decode("utf-8", "replace")
        return Rejected(text, {}, [], [f"the line is not valid JSON: {exc}"])
    if not isinstance(document, dict):
        kind = "an array" if isinstance(document, list) else f"a {type(document).__name__}"
        return Rejected(line.decode("utf-8"), {}, [], [f"the line is {kind}, not a JSON object"])
    row: dict[str, Any] = {}
    bad_columns: list[str] = []
    errors: list[str] = []
    for field in fields:
        value = field.get(document)
        if value is _MISSING or value is None:
            if field.nullable and value is None:
                row[field.name] = None
            elif field.required:
                bad_columns.append(field.name)
                errors.append(
                    f"value is missing on column '{field.name}', which is not Nullable and has no DEFAULT"
                )
            continue  # omitted: ClickHouse applies the column's DEFAULT
        if field.fits is not None and not field.fits(value):
            bad_columns.append(field.name)
            errors.append(f"value '{_describe(value)}' on column '{field.name}' is not {field.type}")
        row[field.name] = value
    if errors:
        return Rejected(line.decode("utf-8"), row, bad_columns, errors)
    return row


# Ingestion --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    successful_rows: int
    quarantined_rows: int

    def as_json(self) -> dict[str, int]:
        return {"successful_rows": self.successful_rows, "quarantined_rows": self.quarantined_rows}


def ingest(engine: Engine, datasource: Datasource, body: bytes) -> Outcome:
    """Appends the NDJSON ``body`` to ``datasource``: good rows in one INSERT, the others into
    its quarantine table. Every non-blank line is counted once, in one of the two."""
    fields = fields_of(datasource)
    import_id = uuid.uuid4().hex
    good_lines: list[bytes] = []
    encoded: list[str] = []  # each row as JSON text at once: 10 MB of live dicts slow Python's GC
    rejected: list[Rejected] = []
    careful = has_long_number(body)
    for line in split_lines(body):
        result = transform(line, fields, careful)
        if isinstance(result, Rejected):
            rejected.append(result)
        else:
            encoded.append(_dumps(result))
            good_lines.append(line)
    # The quarantine first: should either INSERT fail, a retried request then repeats
    # quarantined lines, never stored rows.
    if rejected:
        quarantine(engine, datasource, rejected, import_id)
    found: list[Rejected] = []
    stored = _insert(engine, datasource, fields, encoded, good_lines, found)
    if found:
        quarantine(engine, datasource, found, import_id)
    return Outcome(successful_rows=stored, quarantined_rows=len(rejected) + len(found))


def _encode(rows: Iterable[dict[str, Any]]) -> bytes:
    return "".join(_dumps(row) + "\n" for row in rows).encode()


def _joined(encoded: Sequence[str]) -> bytes:
    return ("\n".join(encoded) + "\n").encode()


def _insert(
    engine: Engine,
    datasource: Datasource,
    fields: Sequence[Field],
    encoded: list[str],
    lines: list[bytes],
    rejected: list[Rejected],
) -> int:
    """Inserts the rows (``encoded``, one JSON object each); when ClickHouse refuses the batch
    for some rows' values, those rows join ``rejected`` and the others are inserted. Returns how
    many rows were stored."""
    if not encoded:
        return 0
    names = [field.name for field in fields]
    try:
        engine.insert_raw(datasource.name, names, _joined(encoded), fmt="JSONEachRow", max_rows=len(encoded))
        return len(encoded)
    except EngineError as exc:
        if exc.code is None or exc.code in _NOT_ABOUT_ROWS:
            raise
        failure = exc
    rows = [json.loads(text) for text in encoded]
    bad = find_bad_rows(engine, fields, rows)
    if not bad:
        first_line = str(failure).strip().splitlines()[0][:300]
        raise BatchRefused(
            f"ClickHouse refused the batch although every row fits {datasource.name} (a materialized "
            f"view or a DEFAULT failed); the rows may be stored in {datasource.name} without their "
            f"views' rows: {first_line}"
        ) from failure
    for i, (columns, errors) in sorted(bad.items()):
        rejected.append(Rejected(lines[i].decode("utf-8"), rows[i], columns, errors))
    kept = [encoded[i] for i in range(len(encoded)) if i not in bad]
    if kept:
        engine.insert_raw(datasource.name, names, _joined(kept), fmt="JSONEachRow", max_rows=len(kept))
    return len(kept)


_ROW = "__panes_row"
_CHECK_SETTINGS = (
    "input_format_allow_errors_num = 1000000000, input_format_allow_errors_ratio = 1, "
    "date_time_input_format = 'best_effort'"
)


def _parsed_rows(engine: Engine, fields: Sequence[Field], rows: Sequence[tuple[int, dict[str, Any]]]) -> set[int]:
    """The row numbers ClickHouse parses into ``fields``' types, with its own JSONEachRow parser:
    the rows are inserted, with errors allowed, into a scratch Memory table."""
    if not rows:
        return set()
    scratch = f"_events_check_{uuid.uuid4().hex}"
    columns = ", ".join(f"{quote_identifier(field.name)} {field.type}" for field in fields)
    table = qualified(scratch, engine.database)
    engine.command(f"CREATE TABLE {table} ({quote_identifier(_ROW)} UInt64, {columns}) ENGINE = Memory")
    try:
        names = {field.name for field in fields}
        data = "".join(
            _dumps({_ROW: n, **{k: v for k, v in row.items() if k in names}}) + "\n" for n, row in rows
        )
        engine.command(f"INSERT INTO {table} SETTINGS {_CHECK_SETTINGS} FORMAT JSONEachRow\n{data}")
        result = engine.query(f"SELECT {quote_identifier(_ROW)} AS n FROM {table}")
        return {int(row["n"]) for row in result.data}
    finally:
        engine.command(drop_table(scratch, database=engine.database))


def find_bad_rows(
    engine: Engine, fields: Sequence[Field], rows: Sequence[dict[str, Any]]
) -> dict[int, tuple[list[str], list[str]]]:
    """The rows ClickHouse cannot parse, by index, each with its bad columns and Tinybird-style
    reasons (``value 'x' on column 'c' is not Type``), found one column at a time."""
    numbered = list(enumerate(rows))
    parsed = _parsed_rows(engine, fields, numbered)
    bad_rows = [(n, row) for n, row in numbered if n not in parsed]
    if not bad_rows:
        return {}
    reasons: dict[int, tuple[list[str], list[str]]] = {n: ([], []) for n, _ in bad_rows}
    for field in fields:
        present = [(n, row) for n, row in bad_rows if row.get(field.name) is not None]
        if not present:
            continue
        fine = _parsed_rows(engine, [field], present)
        for n, row in present:
            if n not in fine:
                reasons[n][0].append(field.name)
                reasons[n][1].append(f"value '{_describe(row[field.name])}' on column '{field.name}' is not {field.type}")
    for columns, errors in reasons.values():
        if not errors:
            errors.append("ClickHouse refused the row as a whole")
    return reasons


def quarantine(engine: Engine, datasource: Datasource, rejected: Sequence[Rejected], import_id: str) -> None:
    """Rejected lines into ``<name>_quarantine``, in one INSERT."""
    names = [name for name, _ in quarantine_columns(datasource) if name != "insertion_date"]
    column_names = {column.name for column in datasource.columns}

    def record(item: Rejected) -> dict[str, Any]:
        out: dict[str, Any] = {
            "c__error_column": item.columns,
            "c__error": item.errors,
            "c__import_id": import_id,
            "c__raw": item.line,
        }
        for name, value in item.values.items():
            if name in column_names and value is not None:
                out[name] = _describe(value)
        return out

    data = _encode(record(item) for item in rejected)
    engine.insert_raw(quarantine_name(datasource.name), names, data, fmt="JSONEachRow", max_rows=len(rejected))

