"""Deployed Tinybird pipes, answered the way Tinybird answers them.

A request for ``/v0/pipes/<name>.<fmt>`` whose name is a pipe of the deployed project with an
endpoint node is served here, on ClickHouse. The walk, and only this walk:

1. ``request_values``: the query string (or POST form), then the scope's ``fixed_params`` OVER
   it, so that for a tenant token ``defined(tenant_id)`` is true and its value is the fixed one;
2. ``compose``: the endpoint node and every node and pipe it reads, each rendered by
   ``pipes.template`` with the same values, put together as one ClickHouse query;
3. ``run``: that query on the process's engine, read-only, time- and row-limited; ClickHouse's
   own meta, data and statistics (or its CSV, NDJSON and Parquet) are the answer.

How nodes are put together (ClickHouse's CTE semantics decide the shape):

- Earlier nodes a node reads become ``WITH name AS (…)`` entries, dependencies first, so a node
  name is referable whether or not a table of that name exists (a CTE shadows a table). Only
  nodes actually read (by FROM/JOIN, as the datafile parser found them) are rendered, as Tinybird
  does, so a required param of an unused node asks nothing.
- Another pipe read by name becomes one entry named after it, whose body is that pipe composed
  the same way (its own WITH inside). ClickHouse lets an inner query see the outer CTEs, so an
  inner pipe that reads a datasource whose name an outer node took would silently read the
  node: that is refused, as is a cycle of pipes.
- The endpoint node itself is wrapped: ``SELECT * FROM (<node>) LIMIT <PIPES_MAX_ROWS>`` so a
  node that starts with its own ``WITH`` stays valid and the row cap is ClickHouse's.
- Every node is rendered with its own placeholder prefix (``p0_1``, ``p1_1``…), so the bound
  parameters of all nodes merge without collisions.
"""
from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from django.conf import settings

from pipes.datafiles import Node, Pipe, Project
from pipes.engine import Engine, EngineError, Result
from pipes.engine.ddl import quote_identifier
from pipes.template import ParamDecl, TemplateError, declared_params, render
from pipes.template.render import RequestValue

from lib.secrets import SecretFileError

from . import secrets


# ClickHouse output formats for each URL suffix; JSON is parsed into Tinybird's body.
FORMATS: dict[str, tuple[str, str]] = {
    "json": ("JSON", "application/json"),
    "csv": ("CSVWithNames", "text/csv; charset=utf-8"),
    "ndjson": ("JSONEachRow", "application/x-ndjson"),
    "parquet": ("Parquet", "application/octet-stream"),
}

# Query-string names with a meaning of their own, never a template's value.
RESERVED_PARAMS = frozenset({"token", "q", "format"})
TIMEOUT_CODES = frozenset({159, 160})  # TIMEOUT_EXCEEDED, TOO_SLOW
_STACK_RE = re.compile(r"\s*(Stack trace|\(version \d).*", re.S)


class RequestError(Exception):
    """The caller's fault (-> ``status``, ``{"error": message}``; ``payload`` replaces the body
    when a template chose one with ``custom_error()``)."""

    def __init__(self, message: str, status: int = 400, payload: Mapping[str, object] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.payload: dict[str, object] = dict(payload) if payload is not None else {"error": message}


class PipeMisconfigured(Exception):
    """The deployed pipe cannot be composed (a cycle, a shadowed datasource): not the caller's fault."""


@dataclass(frozen=True)
class Query:
    sql: str
    parameters: dict[str, object] = field(default_factory=dict)
    secrets: frozenset[str] = frozenset()  # placeholders bound to tb_secret() values


# --- which pipe -----------------------------------------------------------------------------------


def endpoint_of(project: Project | None, name: str) -> Pipe | None:
    """The deployed pipe named ``name`` (or whose id it is) when it has an endpoint node, else
    None."""
    if project is None:
        return None
    pipe = project.pipes.get(name)
    if pipe is None and name.startswith("t_"):
        pipe = next((p for p in project.pipes.values() if pipe_id(p.name) == name), None)
    if pipe is None or _endpoint_node(pipe) is None:
        return None
    return pipe


def _endpoint_node(pipe: Pipe) -> Node | None:
    node = pipe.typed_node
    return node if node is not None and node.type == "endpoint" else None


def pipe_id(name: str) -> str:
    """A stable Tinybird-style id for a deployed pipe (``t_`` + 32 hex), the same in every process."""
    return "t_" + hashlib.sha256(f"pipe:{name}".encode()).hexdigest()[:32]


# --- params -------------------------------------------------------------------------------------


def request_values(query: Mapping[str, Sequence[str]], fixed: Mapping[str, object]) -> dict[str, RequestValue]:
    """The values the templates see: the query string's (a repeated key gives a list), with the
    token's fixed params replacing whatever the query string said about them.

    Reserved keys (``token``, ``format``) are never values; ``q`` (SQL over a pipe) is refused.
    """
    if "q" in query:
        raise RequestError("the q parameter (SQL over a pipe) is not supported by the built-in host")
    max_length = settings.PIPES_MAX_PARAM_LENGTH
    values: dict[str, RequestValue] = {}
    for key, given in query.items():
        if key in RESERVED_PARAMS or not given:
            continue
        for text in given:
            if len(text) > max_length:
                raise RequestError(f"param {key} is longer than {max_length} characters")
        values[key] = given[-1] if len(given) == 1 else list(given)
    for key, fixed_value in fixed.items():
        if not isinstance(fixed_value, (str, int, float)):  # pipes.auth lets no other kind through
            raise RequestError(f"the token's fixed param {key} is malformed", status=403)
        values[key] = fixed_value  # over the query string, whatever it said
    return values


# --- composing --------------------------------------------------------------------------------


class _Composer:
    def __init__(self, project: Project, values: Mapping[str, RequestValue]) -> None:
        self.project = project
        self.values = values
        self.parameters: dict[str, object] = {}
        self.secrets: set[str] = set()
        self.rendered = 0

    def render_node(self, pipe: Pipe, node: Node) -> str:
        if not node.is_template:
            return node.sql.strip().rstrip(";").rstrip()  # no "%" line: plain SQL, as in Tinybird
        prefix = f"p{self.rendered}"
        self.rendered += 1
        try:
            rendered = render(node.sql, self.values, secrets=secrets.lookup, prefix=prefix)
        except TemplateError as exc:
            raise RequestError(exc.message, status=exc.status, payload=exc.payload) from None
        except SecretFileError as exc:
            raise PipeMisconfigured(f"node {node.name}: {exc}") from None
        self.parameters.update(rendered.parameters)
        self.secrets.update(rendered.secrets)
        return rendered.sql.strip().rstrip(";").rstrip()

    def pipe_sql(self, pipe: Pipe, node: Node, stack: tuple[str, ...], outer: frozenset[str]) -> str:
        """``node`` of ``pipe`` and everything it reads, as one query (WITH chain + the node)."""
        if pipe.name in stack:
            raise PipeMisconfigured(f"pipes read each other in a cycle: {' -> '.join((*stack, pipe.name))}")
        stack = (*stack, pipe.name)
        position = {n.name: i for i, n in enumerate(pipe.nodes)}
        order: list[tuple[str, Node | Pipe]] = []  # CTE name -> what it stands for, dependencies first
        seen: set[str] = set()

        def visit(current: Node) -> None:
            for ref in current.references:
                if ref in seen:
                    continue
                earlier = pipe.node(ref)
                if earlier is not None and position[ref] < position[current.name]:
                    seen.add(ref)
                    visit(earlier)
                    order.append((ref, earlier))
                    continue
                other = self.project.pipes.get(ref)
                if other is not None and other.name != pipe.name and _endpoint_node(other) is not None:
                    seen.add(ref)
                    order.append((ref, other))
                    continue
                if ref in outer:
                    # Would read the enclosing pipe's CTE of that name instead of the table.
                    raise PipeMisconfigured(
                        f"pipe {pipe.name} reads {ref}, which a node of a pipe reading it also names"
                    )

        visit(node)
        names = outer | {name for name, _ in order}
        entries: list[str] = []
        for name, item in order:
            if isinstance(item, Node):
                body = self.render_node(pipe, item)
            else:
                target = _endpoint_node(item)
                assert target is not None
                body = self.pipe_sql(item, target, stack, names)
            entries.append(f"{quote_identifier(name)} AS (\n{body}\n)")
        final = self.render_node(pipe, node)
        if not entries:
            return final
        return "WITH " + ",\n".join(entries) + f"\nSELECT * FROM (\n{final}\n)"


def compose(project: Project, pipe: Pipe, values: Mapping[str, RequestValue]) -> Query:
    """The pipe's endpoint as one ClickHouse query with bound parameters; RequestError (a template
    error, with Tinybird's message and status) or PipeMisconfigured."""
    node = _endpoint_node(pipe)
    if node is None:
        raise PipeMisconfigured(f"pipe {pipe.name} has no endpoint node")
    composer = _Composer(project, values)
    sql = composer.pipe_sql(pipe, node, (), frozenset())
    return Query(sql, composer.parameters, frozenset(composer.secrets))


def with_pipes(project: Project, pipes: Sequence[Pipe], values: Mapping[str, RequestValue], sql: str) -> Query:
    """``sql`` reading each of ``pipes`` (endpoint pipes) as a table: each composed as
    ``compose`` does and put in front as a CTE named after it (the Query API's walk)."""
    composer = _Composer(project, values)
    entries = []
    for pipe in pipes:
        node = _endpoint_node(pipe)
        if node is None:
            raise PipeMisconfigured(f"pipe {pipe.name} has no endpoint node")
        body = composer.pipe_sql(pipe, node, (), frozenset())
        entries.append(f"{quote_identifier(pipe.name)} AS (\n{body}\n)")
    if not entries:
        return Query(sql)
    return Query(
        "WITH " + ",\n".join(entries) + f"\nSELECT * FROM (\n{sql}\n)", composer.parameters, frozenset(composer.secrets)
    )


# --- running ------------------------------------------------------------------------------------


def limits() -> dict[str, Any]:
    """The ClickHouse settings every endpoint query runs with: read-only (pipe SQL can never
    write or change a setting) and a time limit."""
    return {"readonly": 1, "max_execution_time": settings.PIPES_QUERY_SECONDS}


def wrapped(query: Query, max_rows: int | None = None) -> str:
    rows = settings.PIPES_MAX_ROWS if max_rows is None else max_rows
    return f"SELECT * FROM (\n{query.sql}\n) LIMIT {int(rows)}"


def run_json(engine: Engine, query: Query, *, max_rows: int | None = None) -> Result:
    """ClickHouse's answer (meta, data, rows, rows_before_limit_at_least, statistics)."""
    try:
        return engine.query(wrapped(query, max_rows), query.parameters, settings=limits())
    except EngineError as exc:
        raise query_error(redacted(exc, query)) from None


def run_raw(engine: Engine, query: Query, fmt: str, *, max_rows: int | None = None) -> bytes:
    """The answer in a ClickHouse output format (``FORMATS``)."""
    try:
        return engine.query_raw(wrapped(query, max_rows), query.parameters, fmt=FORMATS[fmt][0], settings=limits())
    except EngineError as exc:
        raise query_error(redacted(exc, query)) from None


def redacted(exc: EngineError, query: Query) -> EngineError:
    """``exc`` without the values of the query's secrets (``pipes.secrets.redact``)."""
    if not query.secrets:
        return exc
    return EngineError(secrets.redact(str(exc), (query.parameters.get(name) for name in query.secrets)), exc.code)


def query_error(exc: EngineError) -> Exception:
    """A ClickHouse error in pipe SQL as Tinybird answers it: 400 with ClickHouse's message
    (408 when the time limit stopped it), never a 500 or a stack trace. An error without
    ClickHouse's code (the server unreachable) is returned as it is: the engine is unavailable."""
    if exc.code is None:
        return exc
    message = str(exc)
    message = message[message.find("Code:") :] if "Code:" in message else message  # no driver preamble
    message = _STACK_RE.sub("", message).strip()
    status = 408 if exc.code in TIMEOUT_CODES else 400
    return RequestError(f"[Error] {message}", status=status)


# --- the listing ------------------------------------------------------------------------------


@lru_cache(maxsize=1024)
def _declared(sql: str) -> tuple[ParamDecl, ...]:
    try:
        return tuple(declared_params(sql))
    except TemplateError:
        return ()


def _jsonable(value: object) -> object:
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, (list, tuple)):
        return [_jsonable(item) for item in value]
    return str(value)


def param_dicts(params: Iterable[ParamDecl]) -> list[dict[str, object]]:
    return [
        {
            "name": p.name,
            "type": p.type,
            "required": p.required,
            "default": _jsonable(p.default),
            "description": p.description or "",
            **({"example": _jsonable(p.example)} if p.example is not None else {}),
        }
        for p in params
    ]


def describe(pipe: Pipe) -> dict[str, object]:
    """A deployed pipe in the listing, in Tinybird's shape: its nodes with their SQL and params,
    and the pipe's params (every node's, first declaration wins)."""
    endpoint = pipe.typed_node
    nodes: list[dict[str, object]] = []
    merged: dict[str, ParamDecl] = {}
    for node in pipe.nodes:
        declared = _declared(node.sql)
        for decl in declared:
            merged.setdefault(decl.name, decl)
        nodes.append(
            {
                "name": node.name,
                "id": pipe_id(f"{pipe.name}.{node.name}"),
                "sql": ("%\n" if node.is_template else "") + node.sql,
                "description": node.description,
                "materialized": node.type == "materialized",
                "node_type": node.type or "standard",
                "dependencies": list(node.references),
                "params": param_dicts(declared),
            }
        )
    kind = pipe.type or "default"
    body: dict[str, object] = {
        "id": pipe_id(pipe.name),
        "name": pipe.name,
        "description": pipe.description,
        "type": kind,
        "endpoint": f"/v0/pipes/{pipe.name}.json" if kind == "endpoint" else None,
        "params": param_dicts(merged.values()),
        "nodes": nodes,
    }
    if endpoint is not None and kind == "endpoint":
        body["endpoint_node"] = endpoint.name
    return body
