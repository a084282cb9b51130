"""A Tinybird project as plain data: what ``.datasource`` and ``.pipe`` files say, nothing more.

No ClickHouse and no ORM here. The parser (``pipes.datafiles.parse``) fills these; the engine
turns a ``Datasource`` into DDL, the deployer a ``Project`` into a catalogue. Every object keeps
the file and line it came from, so that later errors can name them.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Origin:
    """Where a declaration was read: a file and a 1-based line."""

    path: Path
    line: int

    def __str__(self) -> str:
        return f"{self.path}:{self.line}"

    def at(self, offset: int) -> Origin:
        """The line ``offset`` lines further on: line k of a node's SQL is ``sql_origin.at(k)``."""
        return Origin(self.path, self.line + offset)


class DatafileError(ValueError):
    """A datafile Panes cannot deploy; the message names the file, the line and the reason."""

    def __init__(self, origin: Origin, message: str) -> None:
        super().__init__(f"{origin}: {message}")
        self.origin = origin
        self.reason = message


@dataclass(frozen=True)
class Column:
    """One SCHEMA line: `name` Type [`json:$.path`] [DEFAULT expr] [CODEC(...)]."""

    name: str
    type: str  # ClickHouse type, as written, e.g. "LowCardinality(String)"
    origin: Origin
    jsonpath: str | None = None  # "$.a.b", or None when the schema has no jsonpaths
    default: str | None = None  # a ClickHouse expression, as written
    codec: str | None = None  # the whole "CODEC(...)" clause, as written


@dataclass(frozen=True)
class Engine:
    """ENGINE and its ENGINE_* settings. ``name`` is one of the MergeTree family (or Null)."""

    name: str = "MergeTree"
    sorting_key: str | None = None  # None: the engine picks (Tinybird: DateTime, numeric, String)
    partition_key: str | None = None
    primary_key: str | None = None
    ttl: str | None = None
    ver: str | None = None  # ReplacingMergeTree
    is_deleted: str | None = None  # ReplacingMergeTree, with ver
    sign: str | None = None  # (Versioned)CollapsingMergeTree
    version: str | None = None  # VersionedCollapsingMergeTree
    summing_columns: str | None = None  # SummingMergeTree
    settings: str | None = None  # "index_granularity=8192, ..."


@dataclass(frozen=True)
class Index:
    """One INDEXES line: a ClickHouse data-skipping index, ``name expr TYPE type GRANULARITY n``."""

    name: str
    expr: str
    type: str  # e.g. "bloom_filter(0.01)", "minmax", "set(100)"
    granularity: int
    origin: Origin


@dataclass(frozen=True)
class TokenDecl:
    """A TOKEN line: a named static token with READ (pipes) or APPEND (datasources)."""

    name: str
    permission: str  # "READ" | "APPEND"
    origin: Origin


@dataclass(frozen=True)
class Datasource:
    name: str  # the file name without .datasource
    origin: Origin  # the file, line 1
    columns: tuple[Column, ...]
    engine: Engine = field(default_factory=Engine)
    description: str = ""
    tokens: tuple[TokenDecl, ...] = ()
    indexes: tuple[Index, ...] = ()
    tags: tuple[str, ...] = ()

    @property
    def has_jsonpaths(self) -> bool:
        return any(column.jsonpath for column in self.columns)

    def column(self, name: str) -> Column | None:
        return next((column for column in self.columns if column.name == name), None)


class NodeType:
    """A node's TYPE. Plain nodes (no TYPE) are steps other nodes read from."""

    ENDPOINT = "endpoint"
    MATERIALIZED = "materialized"
    COPY = "copy"
    ALL = (ENDPOINT, MATERIALIZED, COPY)


class CopyMode:
    """A copy node's COPY_MODE: add the result to the target, or replace its rows."""

    APPEND = "append"
    REPLACE = "replace"
    ALL = (APPEND, REPLACE)


ON_DEMAND = "@on-demand"  # COPY_SCHEDULE for copies that run only when asked


@dataclass(frozen=True)
class Node:
    name: str
    sql: str  # without the leading "%" line
    origin: Origin  # the NODE line
    sql_origin: Origin  # the first line of the SQL, for template and ClickHouse errors
    is_template: bool = False  # the SQL started with "%"
    description: str = ""
    type: str | None = None  # a NodeType value
    datasource: str | None = None  # TYPE materialized: the target datasource
    target_datasource: str | None = None  # TYPE copy: the target datasource
    copy_schedule: str | None = None  # TYPE copy: a cron expression or "@on-demand"
    copy_mode: str | None = None  # TYPE copy: a CopyMode value (Tinybird's default: append)
    type_origin: Origin | None = None  # the TYPE line
    target_origin: Origin | None = None  # the DATASOURCE or TARGET_DATASOURCE line
    # Names read in FROM and JOIN (outside strings, comments and template tags), in order:
    # earlier nodes, datasources or other pipes; unknown names (CTEs, system tables) included.
    references: tuple[str, ...] = ()

    @property
    def target(self) -> str | None:
        """The datasource this node writes into (materialized or copy), if any."""
        return self.datasource or self.target_datasource


@dataclass(frozen=True)
class Pipe:
    name: str  # the file name without .pipe
    origin: Origin
    nodes: tuple[Node, ...]
    description: str = ""
    tokens: tuple[TokenDecl, ...] = ()
    tags: tuple[str, ...] = ()

    @property
    def typed_node(self) -> Node | None:
        """The node that makes this pipe an endpoint, a materialization or a copy (at most one)."""
        return next((node for node in self.nodes if node.type), None)

    @property
    def type(self) -> str | None:
        node = self.typed_node
        return node.type if node else None

    def node(self, name: str) -> Node | None:
        return next((node for node in self.nodes if node.name == name), None)


@dataclass(frozen=True)
class Project:
    """Every datafile of a project folder, by name."""

    datasources: dict[str, Datasource]
    pipes: dict[str, Pipe]
