"""A workspace's pipes as the isolation audit sees them: Tinybird's ``GET /v0/pipes`` listing
parsed into plain data, and whether a pipe's SQL uses a param.

The SQL is read by ``lib.tinybird_template``, the parser the built-in host renders with: a
node's SQL that is a template (a ``%`` first line, or a ``{{``/``{%`` tag as in legacy
``{{ name }}`` pipes) uses a param when it writes the param's value outside SQL comments
(``{{ company_id }}``, ``{{ String(company_id) }}``, through ``{% set %}``). Such a use is
GUARDED when it is only ever inside ``{% if defined(company_id) %}`` (or dropped by
``sql_and(..., defined=False)``), else UNGUARDED. A param only tested by ``defined()``, only in
a comment or only named in a string is not used. The checks catch a filter that was deleted,
commented out or made optional, not one written to be useless.
"""
from __future__ import annotations

from dataclasses import dataclass

from lib.tinybird_template import GUARDED, UNGUARDED, TemplateError, filter_uses, is_template


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

    def filter_uses(self) -> dict[str, str]:
        """GUARDED or UNGUARDED for each param this node's SQL uses; TemplateError if it is a
        template that does not parse."""
        return filter_uses(self.sql) if is_template(self.sql) else {}


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

    def use_of(self, param: str) -> str | None:
        """UNGUARDED when some node uses ``param`` without a guard, GUARDED when every use is
        guarded, None when no node (that can be read) uses it."""
        found = set()
        for node in self.nodes:
            try:
                found.add(node.filter_uses().get(param))
            except TemplateError:
                continue  # reported by unreadable()
        return UNGUARDED if UNGUARDED in found else GUARDED if GUARDED in found else None

    def uses(self, param: str) -> bool:
        return self.use_of(param) is not None

    def unreadable(self) -> list[tuple[str, str]]:
        """(node name, why) for each node whose SQL is a template that does not parse."""
        found = []
        for node in self.nodes:
            try:
                node.filter_uses()
            except TemplateError as exc:
                found.append((node.name, exc.message))
        return found


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
