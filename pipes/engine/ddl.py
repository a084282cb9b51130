"""ClickHouse DDL for a Tinybird project, as plain strings: no connection, no I/O.

A ``Datasource`` becomes ``CREATE TABLE`` (the MergeTree family or Null), a materialized node a
``CREATE MATERIALIZED VIEW … TO target``, and every datasource gets a quarantine table shaped like
Tinybird's. The statements for an atomic deploy (databases, ``EXCHANGE TABLES``, multi-table
``RENAME``) are here too; ``pipes.engine.atomic`` runs them.

Identifiers are always backtick-quoted. Expressions (keys, TTL, DEFAULT, CODEC, SETTINGS) are
ClickHouse SQL as the datafile wrote them: they come from the project's author, never from a
request, so they are passed through, and ClickHouse itself rejects what it cannot parse.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence

from pipes.datafiles.model import Column, DatafileError, Datasource, Engine, Index

# Engines whose parameters come from ENGINE_* settings; anything else fails the deploy by name.
MERGE_TREE_ENGINES = (
    "MergeTree",
    "ReplacingMergeTree",
    "SummingMergeTree",
    "AggregatingMergeTree",
    "CollapsingMergeTree",
    "VersionedCollapsingMergeTree",
)
SUPPORTED_ENGINES = (*MERGE_TREE_ENGINES, "Null")

QUARANTINE_SUFFIX = "_quarantine"


def quote_identifier(name: str) -> str:
    """`name`, with backslashes and backticks escaped as ClickHouse's lexer expects."""
    if not name:
        raise ValueError("an identifier cannot be empty")
    return "`" + name.replace("\\", "\\\\").replace("`", "\\`") + "`"


def qualified(name: str, database: str | None = None) -> str:
    """`database`.`name`, or `name` alone when no database is given."""
    if database:
        return f"{quote_identifier(database)}.{quote_identifier(name)}"
    return quote_identifier(name)


def _has_top_level_comma(expression: str) -> bool:
    depth = 0
    quote: str | None = None
    escaped = False
    for char in expression:
        if quote:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == quote:
                quote = None
        elif char in "'`\"":
            quote = char
        elif char in "([":
            depth += 1
        elif char in ")]":
            depth -= 1
        elif char == "," and depth == 0:
            return True
    return False


def key_expression(expression: str) -> str:
    """A sorting or primary key as ClickHouse wants it: ``a, b`` becomes ``(a, b)``."""
    expression = expression.strip()
    return f"({expression})" if _has_top_level_comma(expression) else expression


def column_definition(column: Column) -> str:
    """One column of CREATE TABLE: `name` Type [DEFAULT expr] [CODEC(...)]."""
    parts = [quote_identifier(column.name), column.type]
    if column.default is not None:
        parts.append(f"DEFAULT {column.default}")
    if column.codec is not None:
        codec = column.codec.strip()
        parts.append(codec if codec.upper().startswith("CODEC(") else f"CODEC({codec})")
    return " ".join(parts)


def index_definition(index: Index) -> str:
    """One INDEXES line in CREATE TABLE: ``INDEX name expr TYPE type GRANULARITY n``."""
    return (
        f"INDEX {quote_identifier(index.name)} {index.expr.strip()} "
        f"TYPE {index.type.strip()} GRANULARITY {index.granularity}"
    )


def _require(datasource: Datasource, value: str | None, what: str) -> str:
    if not value:
        raise DatafileError(datasource.origin, f"ENGINE {datasource.engine.name} needs {what}")
    return value


def engine_clause(datasource: Datasource) -> str:
    """``ENGINE = …`` with its keys, TTL and SETTINGS; unsupported engines or keys fail by name."""
    engine: Engine = datasource.engine
    name = engine.name
    if name not in SUPPORTED_ENGINES:
        raise DatafileError(
            datasource.origin,
            f"ENGINE {name} is not supported (supported: {', '.join(SUPPORTED_ENGINES)})",
        )
    _refuse_foreign_parameters(datasource)
    if name == "Null":
        keys = {
            "ENGINE_SORTING_KEY": engine.sorting_key,
            "ENGINE_PARTITION_KEY": engine.partition_key,
            "ENGINE_PRIMARY_KEY": engine.primary_key,
            "ENGINE_TTL": engine.ttl,
            "ENGINE_SETTINGS": engine.settings,
        }
        given = [key for key, value in keys.items() if value]
        if given:
            raise DatafileError(datasource.origin, f"ENGINE Null takes no {', '.join(given)}")
        return "ENGINE = Null"

    arguments: list[str] = []
    if name == "ReplacingMergeTree":
        if engine.ver:
            arguments.append(engine.ver)
            if engine.is_deleted:
                arguments.append(engine.is_deleted)
        elif engine.is_deleted:
            raise DatafileError(datasource.origin, "ENGINE_IS_DELETED needs ENGINE_VER")
    elif name == "SummingMergeTree":
        if engine.summing_columns:
            arguments.append(f"({engine.summing_columns.strip()})")
    elif name == "CollapsingMergeTree":
        arguments.append(_require(datasource, engine.sign, "ENGINE_SIGN"))
    elif name == "VersionedCollapsingMergeTree":
        arguments.append(_require(datasource, engine.sign, "ENGINE_SIGN"))
        arguments.append(_require(datasource, engine.version, "ENGINE_VERSION"))

    lines = [f"ENGINE = {name}({', '.join(arguments)})" if arguments else f"ENGINE = {name}"]
    if engine.partition_key:
        lines.append(f"PARTITION BY {engine.partition_key.strip()}")
    if engine.primary_key:
        lines.append(f"PRIMARY KEY {key_expression(engine.primary_key)}")
    lines.append(f"ORDER BY {key_expression(engine.sorting_key) if engine.sorting_key else 'tuple()'}")
    if engine.ttl:
        lines.append(f"TTL {engine.ttl.strip()}")
    if engine.settings:
        lines.append(f"SETTINGS {engine.settings.strip()}")
    return "\n".join(lines)


def _refuse_foreign_parameters(datasource: Datasource) -> None:
    """An ENGINE_* setting that the chosen engine would ignore is an error, never dropped."""
    engine = datasource.engine
    owners = {
        "ENGINE_VER": (engine.ver, ("ReplacingMergeTree",)),
        "ENGINE_IS_DELETED": (engine.is_deleted, ("ReplacingMergeTree",)),
        "ENGINE_SIGN": (engine.sign, ("CollapsingMergeTree", "VersionedCollapsingMergeTree")),
        "ENGINE_VERSION": (engine.version, ("VersionedCollapsingMergeTree",)),
        "ENGINE_SUMMING_COLUMNS": (engine.summing_columns, ("SummingMergeTree",)),
    }
    for setting, (value, engines) in owners.items():
        if value and engine.name not in engines:
            raise DatafileError(
                datasource.origin, f"{setting} does not apply to ENGINE {engine.name}"
            )


def create_table(
    datasource: Datasource,
    *,
    name: str | None = None,
    database: str | None = None,
    if_not_exists: bool = False,
) -> str:
    """CREATE TABLE for a datasource, with its INDEXES as data-skipping indexes; ``name``
    overrides the table name (for staging copies)."""
    if not datasource.columns:
        raise DatafileError(datasource.origin, "SCHEMA has no columns")
    if datasource.indexes and datasource.engine.name == "Null":
        raise DatafileError(datasource.indexes[0].origin, "ENGINE Null takes no INDEXES")
    definitions = [column_definition(column) for column in datasource.columns]
    definitions += [index_definition(index) for index in datasource.indexes]
    columns = ",\n".join(f"    {definition}" for definition in definitions)
    exists = " IF NOT EXISTS" if if_not_exists else ""
    target = qualified(name or datasource.name, database)
    return f"CREATE TABLE{exists} {target}\n(\n{columns}\n)\n{engine_clause(datasource)}"


def quarantine_name(datasource_name: str) -> str:
    return f"{datasource_name}{QUARANTINE_SUFFIX}"


def quarantine_columns(datasource: Datasource) -> list[tuple[str, str]]:
    """Tinybird's quarantine shape: ``c__error_column``, ``c__error``, ``c__import_id``, every
    datasource column as Nullable(String) (the value as received), ``insertion_date``; plus
    ``c__raw``, the whole line as received, which Tinybird does not keep."""
    columns = [
        ("c__error_column", "Array(String)"),
        ("c__error", "Array(String)"),
        ("c__import_id", "Nullable(String)"),
    ]
    reserved = {name for name, _ in columns} | {"c__raw", "insertion_date"}
    for column in datasource.columns:
        if column.name in reserved:
            raise DatafileError(column.origin, f"column {column.name} is reserved for quarantine")
        columns.append((column.name, "Nullable(String)"))
    columns.append(("c__raw", "String"))
    columns.append(("insertion_date", "DateTime DEFAULT now()"))
    return columns


def create_quarantine_table(
    datasource: Datasource,
    *,
    name: str | None = None,
    database: str | None = None,
    if_not_exists: bool = False,
) -> str:
    """CREATE TABLE for ``<datasource>_quarantine``, ordered by arrival."""
    columns = ",\n".join(
        f"    {quote_identifier(column)} {type_}" for column, type_ in quarantine_columns(datasource)
    )
    exists = " IF NOT EXISTS" if if_not_exists else ""
    target = qualified(name or quarantine_name(datasource.name), database)
    return (
        f"CREATE TABLE{exists} {target}\n(\n{columns}\n)\n"
        "ENGINE = MergeTree\nORDER BY insertion_date"
    )


def create_materialized_view(
    name: str,
    target: str,
    select_sql: str,
    *,
    database: str | None = None,
    target_database: str | None = None,
) -> str:
    """``CREATE MATERIALIZED VIEW name TO target AS <select>``: ClickHouse then runs the SELECT
    on every block inserted into the tables it reads, and writes the result to ``target`` by
    column name. Unqualified tables in the SELECT resolve in the current database."""
    select_sql = _strip_statement(select_sql)
    return (
        f"CREATE MATERIALIZED VIEW {qualified(name, database)}"
        f" TO {qualified(target, target_database)}\nAS {select_sql}"
    )


def backfill(
    target: str,
    select_sql: str,
    column_names: Sequence[str],
    *,
    database: str | None = None,
) -> str:
    """``INSERT INTO target (cols) SELECT cols FROM (<select>)``: the rows already present, matched
    by name as the materialized view matches them (a bare INSERT … SELECT matches by position)."""
    if not column_names:
        raise ValueError("a backfill needs the names of the columns it writes")
    names = ", ".join(quote_identifier(column) for column in column_names)
    return (
        f"INSERT INTO {qualified(target, database)} ({names})\n"
        f"SELECT {names} FROM (\n{_strip_statement(select_sql)}\n)"
    )


def _strip_statement(sql: str) -> str:
    sql = sql.strip()
    while sql.endswith(";"):
        sql = sql[:-1].rstrip()
    if not sql:
        raise ValueError("the SQL is empty")
    # A trailing "-- comment" would swallow anything appended after it.
    return sql + "\n" if "--" in sql.rsplit("\n", 1)[-1] else sql


# Deploy primitives -------------------------------------------------------------------------


def create_database(name: str, *, if_not_exists: bool = True) -> str:
    """An Atomic database: its tables can be exchanged and renamed atomically."""
    exists = " IF NOT EXISTS" if if_not_exists else ""
    return f"CREATE DATABASE{exists} {quote_identifier(name)} ENGINE = Atomic"


def drop_database(name: str) -> str:
    return f"DROP DATABASE IF EXISTS {quote_identifier(name)} SYNC"


def drop_table(name: str, *, database: str | None = None) -> str:
    """Drops a table or a view; SYNC so that the name and the folder are free on return."""
    return f"DROP TABLE IF EXISTS {qualified(name, database)} SYNC"


TableName = tuple[str | None, str]  # (database or None for the current one, table)


def _table(ref: TableName) -> str:
    database, name = ref
    return qualified(name, database)


def exchange_tables(first: TableName, second: TableName) -> str:
    """Swaps two tables (or views) atomically: both must exist, in Atomic databases."""
    return f"EXCHANGE TABLES {_table(first)} AND {_table(second)}"


def rename_tables(pairs: Iterable[tuple[TableName, TableName]]) -> str:
    """One RENAME statement for several tables: ``RENAME TABLE a TO b, c TO d``."""
    renames = [f"{_table(source)} TO {_table(target)}" for source, target in pairs]
    if not renames:
        raise ValueError("nothing to rename")
    return f"RENAME TABLE {', '.join(renames)}"


__all__ = [
    "MERGE_TREE_ENGINES",
    "SUPPORTED_ENGINES",
    "TableName",
    "backfill",
    "column_definition",
    "create_database",
    "create_materialized_view",
    "create_quarantine_table",
    "create_table",
    "drop_database",
    "drop_table",
    "engine_clause",
    "exchange_tables",
    "index_definition",
    "key_expression",
    "qualified",
    "quarantine_columns",
    "quarantine_name",
    "quote_identifier",
    "rename_tables",
]
