"""Tinybird's Query API, ``/v0/sql``: SQL over the deployed datasources and pipes, for the
workspace admin token only.

``q`` comes from the query string, the POST form, or a POST body of plain SQL (all three are how
Tinybird's docs call it). A trailing ``FORMAT <name>`` picks the output, as in ClickHouse; without
one the answer is ClickHouse's JSON, Tinybird's body. A deployed endpoint pipe named in the query
reads as a table: it is composed exactly as ``/v0/pipes/<name>.json`` composes it, with the
request's other params as its values, and put in front as ``WITH <pipe> AS (…)`` around the
caller's query (ClickHouse lets an inner query see the outer CTEs).

It runs read-only with the endpoints' time limit and row cap. It is the operator's tool, not a
viewer's: JWTs are refused, because a scope's ``fixed_params`` bind a pipe's params, and free SQL
over a datasource would bypass them.
"""
from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from lib.tinybird_template.sql import CODE, SqlState
from pipes.datafiles import Project
from pipes.datafiles.refs import references
from pipes.template.render import RequestValue

from . import endpoint
from .endpoint import Query, RequestError

# ClickHouse output formats the Query API answers in, with their content types.
OUTPUT_FORMATS: dict[str, str] = {
    "JSON": "application/json",
    "JSONCompact": "application/json",
    "JSONEachRow": "application/x-ndjson",
    "CSV": "text/csv; charset=utf-8",
    "CSVWithNames": "text/csv; charset=utf-8",
    "TSV": "text/tab-separated-values; charset=utf-8",
    "TSVWithNames": "text/tab-separated-values; charset=utf-8",
    "TabSeparated": "text/tab-separated-values; charset=utf-8",
    "TabSeparatedWithNames": "text/tab-separated-values; charset=utf-8",
    "Parquet": "application/octet-stream",
}
_FORMAT_RE = re.compile(r"\bFORMAT\s+([A-Za-z]+)\s*;?\s*$", re.I)
_BY_LOWER = {name.lower(): name for name in OUTPUT_FORMATS}
MAX_SQL_LENGTH = 64 * 1024


@dataclass(frozen=True)
class SqlRequest:
    sql: str  # the caller's query without its FORMAT clause or final semicolon
    fmt: str  # a key of OUTPUT_FORMATS


def parse(q: str) -> SqlRequest:
    """The caller's SQL and the output format its trailing FORMAT clause asks for (JSON when it
    names none); RequestError for an empty query, an unknown format or more than one statement."""
    text = q.strip()
    if not text:
        raise RequestError("send the SQL in the q parameter: /v0/sql?q=SELECT …")
    if len(text) > MAX_SQL_LENGTH:
        raise RequestError(f"the query is longer than {MAX_SQL_LENGTH} characters")
    fmt = "JSON"
    match = _FORMAT_RE.search(text)
    if match is not None and _state(text[: match.start()]) == CODE:
        name = match.group(1)
        if name.lower() not in _BY_LOWER:
            raise RequestError(f"FORMAT {name} is not served: use one of {', '.join(OUTPUT_FORMATS)}")
        fmt = _BY_LOWER[name.lower()]
        text = text[: match.start()]
    text = text.strip().rstrip(";").rstrip()
    if _state(text) not in (CODE, "--"):  # a final line comment is fine: the wrapper adds a newline
        raise RequestError("the query ends inside a string or a comment")
    if _has_statement_break(text):
        raise RequestError("send one statement per request")
    return SqlRequest(text, fmt)


def _state(text: str) -> str:
    state = SqlState()
    state.feed(text)
    return state.state


def _has_statement_break(text: str) -> bool:
    """A ``;`` outside strings and comments: a second statement."""
    state = SqlState()
    for position, char in enumerate(text):
        if char == ";" and state.state == CODE:
            return True
        state.feed(text[position])
    return False


def compose(project: Project | None, request: SqlRequest, values: Mapping[str, RequestValue]) -> Query:
    """The caller's query with every deployed endpoint pipe it reads put in front as a CTE."""
    if project is None:
        return Query(request.sql)
    pipes = [pipe for name in references(request.sql) if (pipe := project.pipes.get(name)) is not None]
    return endpoint.with_pipes(project, [p for p in pipes if endpoint.endpoint_of(project, p.name)], values, request.sql)


def request_values(params: Mapping[str, Sequence[str]]) -> dict[str, RequestValue]:
    """The params a pipe read by the query sees: every request param but ``q`` (and the
    reserved ones ``endpoint.request_values`` drops)."""
    return endpoint.request_values({k: v for k, v in params.items() if k != "q"}, {})


def sql_text(params: Mapping[str, Sequence[str]], method: str, body: bytes) -> str:
    """``q`` from the query string or form; else, on POST, the body itself is the SQL (``curl
    --data "SELECT …"`` sends it as a form whose only key is the query)."""
    given = params.get("q")
    if given:
        return given[-1]
    if method == "POST" and body:
        try:
            return body.decode("utf-8")
        except UnicodeDecodeError:
            raise RequestError("the body is not UTF-8 SQL") from None
    return ""
