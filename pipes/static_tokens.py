"""Static tokens declared in the datafiles: ``TOKEN "name" READ`` in a .pipe, ``TOKEN "name"
READ|APPEND`` in a .datasource, as Tinybird creates them on deploy.

Tinybird generates a token's value and keeps it in the workspace; the built-in host takes it
from the environment, at the moment of use: ``TB_TOKEN_<name>`` (or the file named by
``TB_TOKEN_<name>_FILE``, through ``lib.secrets``), with every character of the name that is
not a letter, digit or ``_`` written as ``_``. A value shorter than the admin token's minimum is
never accepted, and a declared token whose variable is unset simply opens nothing: the deploy
says so rather than leave it silently unusable.

A static token carries the scopes its declarations give it, and no ``fixed_params``: it is a
backend's credential (every tenant's rows of the pipes it names), never a viewer's.
"""
from __future__ import annotations

import hmac
import re
import threading
from dataclasses import dataclass

from lib.secrets import SecretFileError, read_secret
from pipes.datafiles import DatafileError, Origin, Project

PREFIX = "TB_TOKEN_"
MIN_BYTES = 32  # as the admin token (pipes.auth.MIN_KEY_BYTES)
PERMISSIONS = {
    ("pipe", "READ"): "PIPES:READ",
    ("datasource", "READ"): "DATASOURCES:READ",
    ("datasource", "APPEND"): "DATASOURCES:APPEND",
}
_UNSAFE_RE = re.compile(r"[^A-Za-z0-9_]")


@dataclass(frozen=True)
class StaticToken:
    name: str
    variable: str
    scopes: tuple[dict[str, str], ...]
    origins: tuple[Origin, ...]


def variable_for(name: str) -> str:
    return PREFIX + _UNSAFE_RE.sub("_", name)


def declared(project: Project) -> dict[str, StaticToken]:
    """Every token the project declares, by name, with the scopes all its lines give it."""
    scopes: dict[str, list[dict[str, str]]] = {}
    origins: dict[str, list[Origin]] = {}
    owners = [("datasource", name, ds.tokens) for name, ds in project.datasources.items()]
    owners += [("pipe", name, pipe.tokens) for name, pipe in project.pipes.items()]
    for kind, resource, tokens in owners:
        for token in tokens:
            scope = {"type": PERMISSIONS[(kind, token.permission)], "resource": resource}
            if scope not in scopes.setdefault(token.name, []):
                scopes[token.name].append(scope)
            origins.setdefault(token.name, []).append(token.origin)
    return {
        name: StaticToken(name, variable_for(name), tuple(scopes[name]), tuple(origins[name]))
        for name in sorted(scopes)
    }


def problems(project: Project) -> list[DatafileError]:
    """Two token names that would read the same variable: refused, or one value would carry
    both tokens' scopes."""
    by_variable: dict[str, StaticToken] = {}
    errors: list[DatafileError] = []
    for token in declared(project).values():
        other = by_variable.setdefault(token.variable, token)
        if other is not token:
            errors.append(
                DatafileError(
                    token.origins[0],
                    f"TOKEN {token.name!r}: its value would be read from {token.variable}, as "
                    f"TOKEN {other.name!r}'s is; rename one of them",
                )
            )
    return errors


def _value(variable: str) -> str | None:
    try:
        value = read_secret(variable)
    except SecretFileError:
        return None
    return value if value and len(value.encode()) >= MIN_BYTES else None


def unusable(project: Project) -> list[str]:
    """A line per declared token that no request can use yet, and why (names the variable only)."""
    lines = []
    for token in declared(project).values():
        if _value(token.variable) is None:
            where = f"{token.origins[0].path.name}:{token.origins[0].line}"
            lines.append(
                f"TOKEN {token.name!r} ({where}) opens nothing until {token.variable} holds a "
                f"value of at least {MIN_BYTES} characters"
            )
    return lines


_lock = threading.Lock()
_cached: tuple[Project, dict[str, StaticToken]] | None = None  # holds the project: no id reuse


def _declared_cached(project: Project) -> dict[str, StaticToken]:
    global _cached
    cached = _cached
    if cached is not None and cached[0] is project:
        return cached[1]
    tokens = declared(project)
    with _lock:
        _cached = (project, tokens)
    return tokens


def match(token: str, project: Project | None) -> StaticToken | None:
    """The declared token whose value ``token`` is, compared in constant time, else None."""
    if project is None:
        return None
    presented = token.encode()
    found = None
    for candidate in _declared_cached(project).values():
        value = _value(candidate.variable)
        if value is not None and hmac.compare_digest(presented, value.encode()) and found is None:
            found = candidate
    return found
