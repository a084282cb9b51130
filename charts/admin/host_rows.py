"""Tenant rules against the rows the built-in host holds, asked server-side with the workspace's
admin token (never sent to the browser), over HTTP through ``charts.pipe_listing``'s client.

- A rule whose value matches no rows: a pipe the listing says declares the rule's param is
  called with only that param, ``GET /v0/pipes/<pipe>.json?<param>=<value>`` (the rule's own
  chart's pipe for a per-chart rule). When every pipe that answers (up to 5) has no row holding
  anything but nulls and zeros (a totals pipe answers one such row), that is a warning.
- The values a param has: Panes knows no datasource by name, so it learns them from the same
  listing: each node's ``dependencies`` that are not nodes of its pipe are what the pipes that
  declare the param read, and ``SELECT DISTINCT <param> FROM <that>`` on the Query API gives the
  values of the column named like the param. A pipe call alone cannot say this: a tenant param is
  required, and an endpoint rarely returns its own filter column. Only names the listing gave
  and that are plain identifiers go into that SQL; a source without such a column is skipped.

The logic takes a ``get(path) -> (status, document)`` so it is testable without a host.
"""
from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from urllib.parse import urlencode

from django.http import HttpRequest

from ..models import TenantFilterRule, Workspace
from ..pipe_listing import ListingUnavailable, admin_key, get_over_http, origin_for

Getter = Callable[[str], tuple[int, object]]

IDENTIFIER_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")
MAX_PIPES = 5  # pipes tried per rule: the first that has rows settles it
MAX_SOURCES = 5
MAX_VALUES = 100
TIMEOUT_SECONDS = 5.0
MAX_BYTES = 4 * 1024 * 1024


@dataclass(frozen=True)
class HostPipe:
    name: str
    params: tuple[str, ...]  # declared by the pipe or any of its nodes
    sources: tuple[str, ...]  # what its nodes read that is not one of its nodes
    endpoint: bool


def pipes_of(document: object) -> list[HostPipe]:
    """The pipes of a ``GET /v0/pipes`` document; ListingUnavailable if it is not one."""
    if not isinstance(document, dict) or not isinstance(document.get("pipes"), list):
        raise ListingUnavailable('the pipe listing has no "pipes" list')
    found = []
    for raw in document["pipes"]:
        if not isinstance(raw, dict) or not isinstance(raw.get("name"), str):
            continue
        nodes = [n for n in raw.get("nodes") or () if isinstance(n, dict)]
        node_names = {n.get("name") for n in nodes}
        params: dict[str, None] = {}
        for holder in (raw, *nodes):
            for p in holder.get("params") or ():
                if isinstance(p, dict) and isinstance(p.get("name"), str):
                    params[p["name"]] = None
        sources: dict[str, None] = {}
        for node in nodes:
            for dep in node.get("dependencies") or ():
                if isinstance(dep, str) and dep not in node_names and dep != raw["name"] and IDENTIFIER_RE.match(dep):
                    sources[dep] = None
        endpoint = raw.get("type") == "endpoint" or bool(raw.get("endpoint"))
        found.append(HostPipe(raw["name"], tuple(params), tuple(sources), endpoint))
    return found


def rows_for_value(get: Getter, pipes: Iterable[HostPipe], param: str, value: str, *, pipe: str | None = None) -> tuple[str, int] | None:
    """(pipe, rows) answered for ``param=value``: the first pipe with rows that hold something
    (``meaningful_rows``), else the first that answered none; None when no pipe declares the param
    or none answered (nothing to say)."""
    candidates = [p for p in pipes if p.endpoint and param in p.params and (pipe is None or p.name == pipe)]
    empty = None
    for candidate in candidates[:MAX_PIPES]:
        if not IDENTIFIER_RE.match(candidate.name):
            continue
        status, document = get(f"/v0/pipes/{candidate.name}.json?" + urlencode({param: value}))
        if status != 200 or not isinstance(document, dict):
            continue  # e.g. another required param: this pipe cannot tell
        rows = meaningful_rows(document.get("data"))
        if rows > 0:
            return candidate.name, rows
        empty = empty or (candidate.name, 0)
    return empty


def meaningful_rows(data: object) -> int:
    """Rows with some value that is not null, 0 or empty: a totals pipe answers one row of zeros
    for a value that matches nothing."""
    if not isinstance(data, list):
        return 0
    return sum(
        1 for row in data if isinstance(row, dict) and any(v not in (None, 0, "", "0") for v in row.values())
    )


def values_held(get: Getter, pipes: Iterable[HostPipe], param: str) -> list[str] | None:
    """The distinct values of ``param`` in what the pipes declaring it read (at most
    MAX_VALUES + 1, sorted); None when no source could be asked."""
    if not IDENTIFIER_RE.match(param):
        return None
    sources = list(dict.fromkeys(s for p in pipes if param in p.params for s in p.sources))
    values: set[str] = set()
    asked = False
    for source in sources[:MAX_SOURCES]:
        sql = f"SELECT DISTINCT `{param}` AS value FROM `{source}` ORDER BY value LIMIT {MAX_VALUES + 1} FORMAT JSON"
        status, document = get("/v0/sql?" + urlencode({"q": sql}))
        if status != 200 or not isinstance(document, dict) or not isinstance(document.get("data"), list):
            continue  # no such column there, or not a table
        asked = True
        values.update(str(row["value"]) for row in document["data"] if isinstance(row, dict) and "value" in row)
    return sorted(values)[: MAX_VALUES + 1] if asked else None


def shown(values: list[str]) -> str:
    more = len(values) > MAX_VALUES
    return ", ".join(values[:MAX_VALUES]) + (" and more" if more else "") if values else "none"


# --- the admin's side: the built-in workspaces, over HTTP ---------------------------------------


def admin_getter(workspace: Workspace, request: HttpRequest) -> Getter:
    """GET on the workspace's host with its admin token; ListingUnavailable says why not."""
    key = admin_key(workspace)
    origin = origin_for(workspace, request)

    def get(path: str) -> tuple[int, object]:
        status, body = get_over_http(origin + path, key, TIMEOUT_SECONDS, MAX_BYTES)
        try:
            return status, json.loads(body)
        except ValueError:
            return status, None

    return get


class HostRows:
    """The built-in workspaces' listings for one admin request, each read once."""

    def __init__(self, request: HttpRequest) -> None:
        self.request = request
        self._asked: dict[int, tuple[Getter, list[HostPipe]] | str] = {}

    def workspaces(self) -> list[Workspace]:
        return list(Workspace.objects.filter(api_host="").order_by("name"))

    def of(self, workspace: Workspace) -> tuple[Getter, list[HostPipe]] | str:
        """(getter, pipes), or why the host cannot be asked."""
        if workspace.pk not in self._asked:
            try:
                get = admin_getter(workspace, self.request)
                status, document = get("/v0/pipes")
                if status != 200:
                    raise ListingUnavailable(f"the pipe listing answered {status}")
                self._asked[workspace.pk] = (get, pipes_of(document))
            except ListingUnavailable as exc:
                self._asked[workspace.pk] = str(exc)
        return self._asked[workspace.pk]

    def rule_warnings(self, rules: Iterable[TenantFilterRule]) -> list[str]:
        """A sentence per rule whose value matches no rows, or per host that cannot be asked."""
        warnings: list[str] = []
        unreachable: set[int] = set()
        for rule in rules:
            chart = rule.chart
            targets: list[tuple[Workspace, str | None]]
            if chart is not None:
                targets = [(chart.workspace, chart.pipe_name)] if chart.workspace.is_builtin else []
            else:
                targets = [(w, None) for w in self.workspaces()]
            for workspace, pipe in targets:
                asked = self.of(workspace)
                if isinstance(asked, str):
                    if workspace.pk not in unreachable:
                        unreachable.add(workspace.pk)
                        warnings.append(f"The rules were not checked against the rows of {workspace}: {asked}.")
                    continue
                get, pipes = asked
                answer = rows_for_value(get, pipes, rule.param, rule.value, pipe=pipe)
                if answer is not None and answer[1] == 0:
                    held = values_held(get, pipes, rule.param)
                    hint = f" Values it holds: {shown(held)}." if held is not None else ""
                    warnings.append(
                        f"{rule.tenant}: no rows for {rule.param}={rule.value} on {workspace} "
                        f"(asked pipe {answer[0]}), so its viewers will see “No data”.{hint}"
                    )
        return warnings

    def value_notes(self, params: Iterable[str]) -> list[str]:
        """For each param, the values each built-in workspace holds."""
        notes = []
        for param in dict.fromkeys(params):
            for workspace in self.workspaces():
                asked = self.of(workspace)
                if isinstance(asked, str):
                    continue
                held = values_held(*asked, param)
                if held is not None:
                    notes.append(f"Values of {param} on {workspace}: {shown(held)}.")
        return notes
