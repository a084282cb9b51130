"""Reading a pipe's SQL: its ``{{ name }}`` placeholders, binding, and its top-level LIMIT.

A small scanner (strings, quoted identifiers, comments, parentheses) is enough for the three
questions asked here; it is not a SQL parser. Placeholders become ``%(name)s`` for Django's
cursor (which turns them into bound parameters on SQLite and PostgreSQL alike) and every literal
``%`` becomes ``%%``, so ``LIKE 'a%'`` keeps working.
"""
from __future__ import annotations

import re
from collections.abc import Collection, Iterator
from dataclasses import dataclass

from django.core.exceptions import ValidationError

PLACEHOLDER_RE = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
_TEMPLATE_RE = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{\{|\{%", re.S)
_LIMIT_RE = re.compile(r"\b(LIMIT|OFFSET)\b", re.I)
_DOLLAR_RE = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)?\$")


@dataclass(frozen=True)
class Segment:
    kind: str  # "code", "string" (also quoted identifiers), "comment"
    start: int
    end: int
    depth: int  # parenthesis depth at the start of a code segment


def segments(sql: str) -> Iterator[Segment]:
    """The SQL cut into code, quoted text and comments; code segments also split at parens."""
    i, n, depth, start = 0, len(sql), 0, 0

    def code_until(pos: int) -> Iterator[Segment]:
        if pos > start:
            yield Segment("code", start, pos, depth)

    while i < n:
        ch = sql[i]
        if ch in "'\"`":
            yield from code_until(i)
            j = i + 1
            while j < n:
                if sql[j] == ch:
                    if j + 1 < n and sql[j + 1] == ch:  # doubled quote: escaped
                        j += 2
                        continue
                    break
                j += 1
            yield Segment("string", i, min(j + 1, n), depth)
            i = start = min(j + 1, n)
        elif sql.startswith("--", i):
            yield from code_until(i)
            j = sql.find("\n", i)
            j = n if j < 0 else j
            yield Segment("comment", i, j, depth)
            i = start = j
        elif sql.startswith("/*", i):
            yield from code_until(i)
            j = sql.find("*/", i + 2)
            j = n if j < 0 else j + 2
            yield Segment("comment", i, j, depth)
            i = start = j
        elif ch == "$" and (m := _DOLLAR_RE.match(sql, i)) and (i == 0 or not (sql[i - 1].isalnum() or sql[i - 1] == "_")):
            yield from code_until(i)
            tag = m.group(0)
            j = sql.find(tag, m.end())
            j = n if j < 0 else j + len(tag)
            yield Segment("string", i, j, depth)
            i = start = j
        elif ch in "()":
            yield from code_until(i)
            depth += 1 if ch == "(" else -1
            start = i
            i += 1
            yield Segment("code", start, i, depth)
            start = i
        else:
            i += 1
    yield from code_until(n)


def _kind_at(segs: list[Segment], pos: int) -> str:
    for seg in segs:
        if seg.start <= pos < seg.end:
            return seg.kind
    return "code"


def placeholders(sql: str) -> tuple[str, ...]:
    """Param names used in ``sql``, in order of first use.

    ValidationError for template syntax the built-in host does not support (Tinybird's
    ``{{ String(x) }}``, ``{% if %}``) and for placeholders inside quotes, which could not be
    bound as values.
    """
    segs = list(segments(sql))
    names: dict[str, None] = {}
    errors: list[str] = []
    for match in _TEMPLATE_RE.finditer(sql):
        kind = _kind_at(segs, match.start())
        if kind == "comment":
            continue
        text = match.group(0)
        placeholder = PLACEHOLDER_RE.fullmatch(text)
        if placeholder is None:
            if kind == "code":
                errors.append(
                    f"Unsupported template expression {text[:40]!r}: the built-in host supports only {{{{ name }}}}."
                )
            continue
        if kind == "string":
            errors.append(f"{text} is inside quotes; write it bare, it is bound as a value (no quotes needed).")
            continue
        names.setdefault(placeholder.group(1))
    if errors:
        raise ValidationError(errors)
    return tuple(names)


def bind(sql: str, declared: Collection[str]) -> str:
    """``sql`` with placeholders as ``%(name)s`` and literal ``%`` doubled.

    ValidationError if a placeholder is not a declared param.
    """
    check_single_statement(sql)
    used = placeholders(sql)
    undeclared = [name for name in used if name not in declared]
    if undeclared:
        raise ValidationError(
            [f"{{{{ {name} }}}} is used in the SQL but not declared as a param." for name in undeclared]
        )
    out: list[str] = []
    last = 0
    segs = list(segments(sql))
    for match in PLACEHOLDER_RE.finditer(sql):
        out.append(sql[last : match.start()].replace("%", "%%"))
        if _kind_at(segs, match.start()) == "comment":
            out.append(match.group(0).replace("{", "(").replace("}", ")"))  # inert in a comment
        else:
            out.append(f"%({match.group(1)})s")
        last = match.end()
    out.append(sql[last:].replace("%", "%%"))
    return "".join(out)


def check_single_statement(sql: str) -> None:
    """ValidationError unless ``sql`` is one statement with balanced parentheses, so that the
    subquery it is wrapped in (``SELECT * FROM (<sql>) ...``) holds it all."""
    depth = 0
    for seg in segments(sql):
        if seg.kind != "code":
            continue
        depth = seg.depth
        if depth < 0:
            raise ValidationError("The SQL has a closing parenthesis without an opening one.")
        if ";" in sql[seg.start : seg.end]:
            raise ValidationError("Write one statement only (no ; inside the SQL).")
    if depth != 0:
        raise ValidationError("The SQL has an opening parenthesis that is never closed.")


def strip_terminator(sql: str) -> str:
    """The statement without trailing semicolons (even before a final comment), so it can be
    wrapped in a subquery."""
    while True:
        last = None
        for seg in segments(sql):
            if seg.kind == "comment":
                continue
            text = sql[seg.start : seg.end].rstrip()
            if text:
                last = (seg, seg.start + len(text) - 1)
        if last is None or last[0].kind != "code" or sql[last[1]] != ";":
            return sql.rstrip()
        sql = sql[: last[1]] + sql[last[1] + 1 :]


def without_top_level_limit(sql: str) -> str | None:
    """``sql`` cut before its top-level LIMIT (and OFFSET) clause, or None if it has no LIMIT.

    Only the outermost query's LIMIT counts: one inside a subquery or a CTE does not.
    """
    cut: int | None = None
    has_limit = False
    for seg in segments(sql):
        if seg.kind != "code" or seg.depth != 0:
            continue
        for match in _LIMIT_RE.finditer(sql, seg.start, seg.end):
            if match.group(1).upper() == "LIMIT":
                has_limit = True
            if cut is None:
                cut = match.start()
    if not has_limit or cut is None:
        return None
    return sql[:cut]
