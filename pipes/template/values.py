"""What template expressions evaluate to, besides plain constants of the template itself.

- ``Param``: a value that came from a param (a request value, its default, a fixed param, a
  secret) or was computed from one. It is always *bound* when written into SQL, whatever its
  value, so the SQL text never depends on what a request sent.
- ``Sql``: SQL that a template function built (quoted identifiers, ``sql_and`` conditions);
  its parts are trusted text and Params, which are bound in turn.
- ``Undefined``: a name that is neither set in the template nor passed: false in an ``if``,
  an error naming it anywhere its value is needed.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Param:
    value: object  # a Python value of ``type``; None when not passed and without default
    type: str  # the ClickHouse type it binds as, e.g. "Int32", "Array(String)"
    name: str | None = None  # the request param it came from, for error messages
    secret: bool = False

    def element_type(self) -> str:
        if self.type.startswith("Array(") and self.type.endswith(")"):
            return self.type[len("Array(") : -1]
        return "String"


@dataclass(frozen=True)
class Sql:
    parts: tuple[str | Param, ...]


@dataclass(frozen=True)
class Undefined:
    name: str

    def __bool__(self) -> bool:
        return False


def unwrap(value: object) -> object:
    return value.value if isinstance(value, Param) else value
