"""A workspace's pipes as the isolation audit sees them: Tinybird's ``GET /v0/pipes`` listing
parsed into plain data, and the SQL scanning that says whether a pipe uses a param.

The SQL checks are textual: a param counts as used when it appears, outside comments, in a
template expression (``{{ company_id }}``, ``{{ String(company_id) }}``, ``{% if defined(company_id) %}``).
They catch a filter that was deleted or commented out, not one written to be useless.
"""
from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class ParamInfo:
    name: str
    type: str = ""
    required: bool | None = None  # None: the listing does not say
    default: object = None


@dataclass(frozen=True)
class NodeInfo:
    name: str
    sql: str
    params: tuple[ParamInfo, ...] = ()


@dataclass(frozen=True)
class PipeInfo:
    id: str
    name: str
    nodes: tuple[NodeInfo, ...] = ()
    params: tuple[ParamInfo, ...] = ()

    def declarations(self, param: str) -> list[ParamInfo]:
        """Every declaration of ``param``: the pipe's own and its nodes'."""
        found = [p for p in self.params if p.name == param]
        for node in self.nodes:
            found.extend(p for p in node.params if p.name == param)
        return found

    def uses(self, param: str) -> bool:
        return any(sql_uses_param(node.sql, param) for node in self.nodes)


class ListingError(ValueError):
    """A pipe listing that is not in Tinybird's shape."""


def parse_listing(document: object) -> dict[str, PipeInfo]:
    """Pipes by name AND by id from a ``GET /v0/pipes`` document; ListingError if it is not one.

    Lenient inside a pipe (a field missing or of another type is left out), strict about the
    outer shape, so that a wrong URL is not mistaken for an empty workspace.
    """
    if not isinstance(document, dict) or not isinstance(document.get("pipes"), list):
        raise ListingError('the answer has no "pipes" list')
    pipes: dict[str, PipeInfo] = {}
    for raw in document["pipes"]:
        if not isinstance(raw, dict) or not isinstance(raw.get("name"), str):
            continue
        nodes = tuple(
            NodeInfo(
                name=str(node.get("name", "")),
                sql=node["sql"] if isinstance(node.get("sql"), str) else "",
                params=_params(node.get("params")),
            )
            for node in raw.get("nodes") or ()
            if isinstance(node, dict)
        )
        pipe = PipeInfo(id=str(raw.get("id") or ""), name=raw["name"], nodes=nodes, params=_params(raw.get("params")))
        pipes[pipe.name] = pipe
        if pipe.id:
            pipes.setdefault(pipe.id, pipe)
    return pipes


def _params(raw: object) -> tuple[ParamInfo, ...]:
    if not isinstance(raw, list):
        return ()
    return tuple(
        ParamInfo(
            name=p["name"],
            type=str(p.get("type") or ""),
            required=p["required"] if isinstance(p.get("required"), bool) else None,
            default=p.get("default"),
        )
        for p in raw
        if isinstance(p, dict) and isinstance(p.get("name"), str)
    )


# --- reading SQL ----------------------------------------------------------------------------------

_TEMPLATE_RE = re.compile(r"\{\{(.*?)\}\}|\{%(.*?)%\}", re.S)
_STRING_RE = re.compile(r"'(?:[^'\\]|\\.|'')*'|\"(?:[^\"\\]|\\.)*\"", re.S)


def strip_comments(sql: str) -> str:
    """``sql`` without ``--`` and ``/* */`` comments and Tinybird's ``{# #}``, quotes respected."""
    out: list[str] = []
    i, n = 0, len(sql)
    while i < n:
        ch = sql[i]
        if ch in "'\"`":
            j = i + 1
            while j < n and sql[j] != ch:
                j += 2 if sql[j] == "\\" else 1
            out.append(sql[i : j + 1])
            i = j + 1
        elif sql.startswith("--", i):
            j = sql.find("\n", i)
            i = n if j < 0 else j
        elif sql.startswith("/*", i):
            j = sql.find("*/", i + 2)
            i = n if j < 0 else j + 2
            out.append(" ")
        elif sql.startswith("{#", i):
            j = sql.find("#}", i + 2)
            i = n if j < 0 else j + 2
            out.append(" ")
        else:
            out.append(ch)
            i += 1
    return "".join(out)


def sql_uses_param(sql: str, param: str) -> bool:
    """Whether ``param`` appears in a template expression of ``sql`` outside comments (and not
    merely inside a string within the expression, such as a description)."""
    word = re.compile(rf"(?<![A-Za-z0-9_]){re.escape(param)}(?![A-Za-z0-9_])")
    for match in _TEMPLATE_RE.finditer(strip_comments(sql)):
        inside = _STRING_RE.sub("''", match.group(1) if match.group(1) is not None else match.group(2))
        if word.search(inside):
            return True
    return False
