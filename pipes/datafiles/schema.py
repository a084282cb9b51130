"""A SCHEMA block: columns separated by commas, each ``name Type [`json:$.path`] [DEFAULT expr]
[CODEC(...)]``, possibly spread over several lines (a long Enum8) and with a trailing comma.

The block is read as one text with a map back to file lines, cut at the commas that are outside
parentheses, quotes and backticks, and each column read with a small scanner. Types are checked
for shape (a name, balanced parentheses, closed quotes), not against ClickHouse's list of types:
ClickHouse itself says which names it knows, at deploy time, and the two lists would drift.
"""
from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from pathlib import Path

from pipes.datafiles.jsonpath import JsonPathError, parse_jsonpath
from pipes.datafiles.model import Column, DatafileError, Index, Origin
from pipes.datafiles.reader import Line

_IDENT_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_COLUMN_NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*")
_DEFAULT_RE = re.compile(r"DEFAULT\b", re.I)
_CODEC_RE = re.compile(r"CODEC\s*\(", re.I)
_REFUSED_MODIFIER_RE = re.compile(r"(MATERIALIZED|ALIAS|EPHEMERAL|TTL|COMMENT)\b", re.I)
_INDEX_RE = re.compile(
    r"(?:INDEX\s+)?(?P<name>`[^`]+`|[A-Za-z_][A-Za-z0-9_]*)\s+(?P<expr>.+?)\s+TYPE\s+"
    r"(?P<type>.+?)\s+GRANULARITY\s+(?P<granularity>\d+)\s*,?",
    re.I,
)


@dataclass(frozen=True)
class _Text:
    """The block's lines joined by newlines, and where each line starts."""

    text: str
    starts: list[int]
    numbers: list[int]
    path: Path

    def origin(self, offset: int) -> Origin:
        index = max(bisect.bisect_right(self.starts, offset) - 1, 0)
        return Origin(self.path, self.numbers[index])


def _without_comment(text: str) -> str:
    """The line up to a ``--`` comment that is outside quotes and backticks."""
    i = 0
    while i < len(text):
        if text[i] in "'\"`":
            end = _skip_quoted(text, i)
            if end < 0:
                return text  # the unclosed quote is reported where it is
            i = end
            continue
        if text.startswith("--", i):
            return text[:i]
        i += 1
    return text


def _join(block: tuple[Line, ...], path: Path) -> _Text:
    parts: list[str] = []
    starts: list[int] = []
    numbers: list[int] = []
    offset = 0
    for line in block:
        stripped = _without_comment(line.text).strip()
        if stripped.startswith("#"):
            stripped = ""
        starts.append(offset)
        numbers.append(line.number)
        parts.append(stripped)
        offset += len(stripped) + 1
    return _Text("\n".join(parts), starts, numbers, path)


def _skip_quoted(text: str, i: int) -> int:
    """The index after the quoted text starting at ``i``, or -1 when it never closes."""
    quote = text[i]
    j = i + 1
    while j < len(text):
        if text[j] == "\\" and quote != "`":
            j += 2
            continue
        if text[j] == quote:
            if text.startswith(quote * 2, j):
                j += 2
                continue
            return j + 1
        j += 1
    return -1


def _balanced_end(src: _Text, text: str, i: int, base: int, what: str) -> int:
    """``text[i]`` is "(": the index after its matching ")"."""
    depth = 0
    j = i
    while j < len(text):
        ch = text[j]
        if ch in "'\"`":
            end = _skip_quoted(text, j)
            if end < 0:
                raise DatafileError(src.origin(base + j), f"unclosed {ch} in {what}")
            j = end
            continue
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth == 0:
                return j + 1
        j += 1
    raise DatafileError(src.origin(base + i), f"unbalanced parentheses in {what}: '(' never closed")


def _split(src: _Text) -> list[tuple[int, str]]:
    """The column texts with their offsets, cut at the commas outside (), [] and quotes."""
    text = src.text
    pieces: list[tuple[int, str]] = []
    opened: list[int] = []
    start = 0
    i = 0
    while i < len(text):
        ch = text[i]
        if ch in "'\"`":
            end = _skip_quoted(text, i)
            if end < 0:
                raise DatafileError(src.origin(i), f"unclosed {ch} in SCHEMA")
            i = end
            continue
        if ch in "([":
            opened.append(i)
        elif ch in ")]":
            pair = "(" if ch == ")" else "["
            if not opened or text[opened[-1]] != pair:
                raise DatafileError(
                    src.origin(i), f"unbalanced parentheses in SCHEMA: {ch!r} without {pair!r}"
                )
            opened.pop()
        elif ch == "," and not opened:
            pieces.append((start, text[start:i]))
            start = i + 1
        i += 1
    if opened:
        raise DatafileError(
            src.origin(opened[-1]),
            f"unbalanced parentheses in SCHEMA: {text[opened[-1]]!r} never closed",
        )
    pieces.append((start, text[start:]))
    return pieces


def _skip_space(text: str, i: int) -> int:
    while i < len(text) and text[i].isspace():
        i += 1
    return i


def _default_end(src: _Text, text: str, i: int, base: int) -> int:
    """Where a DEFAULT expression starting at ``i`` ends: a backtick, CODEC( or the end."""
    j = i
    while j < len(text):
        ch = text[j]
        if ch == "`":
            return j
        if ch in "'\"":
            end = _skip_quoted(text, j)
            if end < 0:
                raise DatafileError(src.origin(base + j), f"unclosed {ch} in DEFAULT")
            j = end
            continue
        if ch == "(":
            j = _balanced_end(src, text, j, base, "DEFAULT")
            continue
        word_start = j == 0 or not (text[j - 1].isalnum() or text[j - 1] == "_")
        if word_start and _CODEC_RE.match(text, j):
            return j
        j += 1
    return j


def _column(src: _Text, base: int, text: str) -> Column:
    i = _skip_space(text, 0)
    origin = src.origin(base + i)
    if text.startswith("`", i):
        end = text.find("`", i + 1)
        name = text[i + 1 : end] if end > 0 else ""
        if end < 0 or not name.strip():
            raise DatafileError(origin, "a column name in backticks is empty or never closed")
        i = end + 1
    else:
        match = _COLUMN_NAME_RE.match(text, i)
        if not match:
            raise DatafileError(origin, f"expected a column name, found {text[i:i + 20]!r}")
        name = match.group(0)
        i = match.end()
    i = _skip_space(text, i)
    type_match = _IDENT_RE.match(text, i)
    if not type_match:
        raise DatafileError(src.origin(base + i), f"column {name!r} has no type")
    type_start, i = i, type_match.end()
    after = _skip_space(text, i)
    if text.startswith("(", after):
        i = _balanced_end(src, text, after, base, f"the type of column {name!r}")
    column_type = text[type_start:i]
    if "\n" in column_type:  # a type spread over lines reads as one line
        column_type = " ".join(column_type.split())
    jsonpath: str | None = None
    default: str | None = None
    codec: str | None = None
    while True:
        i = _skip_space(text, i)
        if i >= len(text):
            break
        here = src.origin(base + i)
        if text.startswith("`", i):
            end = text.find("`", i + 1)
            if end < 0:
                raise DatafileError(here, f"column {name!r}: unclosed backtick")
            quoted = text[i + 1 : end].strip()
            if not quoted.startswith("json:"):
                raise DatafileError(
                    here, f"column {name!r}: expected `json:$.path`, found `{quoted}`"
                )
            if jsonpath is not None:
                raise DatafileError(here, f"column {name!r} has two jsonpaths")
            jsonpath = quoted[len("json:"):].strip()
            try:
                parse_jsonpath(jsonpath)
            except JsonPathError as error:
                raise DatafileError(here, f"column {name!r}: {error}") from None
            i = end + 1
        elif _DEFAULT_RE.match(text, i):
            if default is not None:
                raise DatafileError(here, f"column {name!r} has two DEFAULTs")
            start = _skip_space(text, i + len("DEFAULT"))
            end = _default_end(src, text, start, base)
            default = " ".join(text[start:end].split())
            if not default:
                raise DatafileError(here, f"column {name!r}: DEFAULT needs an expression")
            i = end
        elif _CODEC_RE.match(text, i):
            if codec is not None:
                raise DatafileError(here, f"column {name!r} has two CODECs")
            opening = text.index("(", i)
            end = _balanced_end(src, text, opening, base, f"the CODEC of column {name!r}")
            codec = text[i:end]
            i = end
        elif refused := _REFUSED_MODIFIER_RE.match(text, i):
            raise DatafileError(
                here,
                f"column {name!r}: {refused.group(1).upper()} is not supported in a Tinybird "
                "schema (DEFAULT, CODEC and `json:` are)",
            )
        else:
            word = text[i:].split(None, 1)[0]
            raise DatafileError(here, f"column {name!r}: unexpected {word[:30]!r} after the type")
    return Column(name, column_type, origin, jsonpath=jsonpath, default=default, codec=codec)


def parse_schema(block: tuple[Line, ...], path: Path, origin: Origin) -> tuple[Column, ...]:
    """The columns of a SCHEMA block; the first problem raises a DatafileError at its line."""
    src = _join(block, path)
    pieces = _split(src)
    columns: list[Column] = []
    seen: dict[str, Column] = {}
    for number, (base, text) in enumerate(pieces):
        if not text.strip():
            if number == len(pieces) - 1 and columns:
                continue  # a trailing comma
            raise DatafileError(
                src.origin(base + len(text)), "empty column in SCHEMA (two commas in a row?)"
            )
        column = _column(src, base, text)
        if column.name in seen:
            raise DatafileError(
                column.origin,
                f"column {column.name!r} is declared twice "
                f"(first at line {seen[column.name].origin.line})",
            )
        seen[column.name] = column
        columns.append(column)
    if not columns:
        raise DatafileError(origin, "SCHEMA has no columns")
    return tuple(columns)


def parse_indexes(block: tuple[Line, ...], path: Path) -> tuple[Index, ...]:
    """INDEXES: one ``name expr TYPE type GRANULARITY n`` per line."""
    indexes: list[Index] = []
    for line in block:
        text = line.text.strip()
        if not text or text.startswith("#"):
            continue
        origin = Origin(path, line.number)
        match = _INDEX_RE.fullmatch(text)
        if not match:
            raise DatafileError(
                origin, "INDEXES: expected 'name expression TYPE type GRANULARITY n'"
            )
        name = match.group("name").strip("`")
        if any(index.name == name for index in indexes):
            raise DatafileError(origin, f"index {name!r} is declared twice")
        granularity = int(match.group("granularity"))
        indexes.append(Index(name, match.group("expr"), match.group("type"), granularity, origin))
    return tuple(indexes)
