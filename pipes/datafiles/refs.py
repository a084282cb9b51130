"""Which names a node's SQL reads: the word after FROM or JOIN, best effort.

Enough to order a deploy and find cycles, not a SQL parser. Strings, comments and template tags
(``{{ … }}``, ``{% … %}``, ``{# … #}``) are skipped; a name followed by "(" is a table function;
``db.table`` names are outside the project; ``ARRAY JOIN`` reads a column and ``extract(… FROM x)``
an expression; names a ``WITH name AS (…)`` defines are the query's own.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

_WORD_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_$]*")
_NUMBER_RE = re.compile(r"[0-9][0-9A-Za-z_.]*")
_TEMPLATE_ENDS = {"{{": "}}", "{%": "%}", "{#": "#}"}
# Functions whose arguments may contain FROM without reading a table.
_FROM_FUNCTIONS = {"extract", "trim", "substring", "substr", "position", "overlay", "cast"}
# Words after a table name that are not its alias.
_CLAUSE_WORDS = {
    "all", "and", "anti", "any", "array", "as", "asof", "cross", "except", "final", "format",
    "full", "global", "group", "having", "inner", "intersect", "into", "join", "left", "limit",
    "offset", "on", "or", "order", "outer", "paste", "prewhere", "qualify", "right", "sample",
    "semi", "settings", "union", "using", "where", "window", "with",
}


@dataclass(frozen=True)
class _Token:
    kind: str  # "word" (bare or quoted identifier), "punct"
    text: str
    line: int  # 0-based line of the SQL
    quoted: bool = False


def _tokens(sql: str) -> list[_Token]:
    tokens: list[_Token] = []
    i, n, line = 0, len(sql), 0

    def advance_to(j: int) -> None:
        nonlocal i, line
        line += sql.count("\n", i, j)
        i = j

    while i < n:
        ch = sql[i]
        two = sql[i : i + 2]
        if ch.isspace():
            advance_to(i + 1)
        elif two in _TEMPLATE_ENDS:
            end = sql.find(_TEMPLATE_ENDS[two], i + 2)
            advance_to(n if end < 0 else end + 2)
        elif two == "--" or (ch == "#" and sql[i + 1 : i + 2] in (" ", "!", "\n", "")):
            end = sql.find("\n", i)
            advance_to(n if end < 0 else end)
        elif two == "/*":
            end = sql.find("*/", i + 2)
            advance_to(n if end < 0 else end + 2)
        elif ch == "'":
            j = i + 1
            while j < n and sql[j] != "'":
                j += 2 if sql[j] == "\\" else 1
            advance_to(min(j + 1, n))
        elif ch in "`\"":
            end = sql.find(ch, i + 1)
            end = n if end < 0 else end
            tokens.append(_Token("word", sql[i + 1 : end], line, quoted=True))
            advance_to(min(end + 1, n))
        elif match := _WORD_RE.match(sql, i):
            tokens.append(_Token("word", match.group(0), line))
            advance_to(match.end())
        elif match := _NUMBER_RE.match(sql, i):
            advance_to(match.end())
        else:
            tokens.append(_Token("punct", ch, line))
            advance_to(i + 1)
    return tokens


def _is(token: _Token | None, word: str) -> bool:
    if token is None or token.kind != "word" or token.quoted:
        return False
    return token.text.lower() == word


def scan_references(sql: str) -> list[tuple[str, int]]:
    """(name, 0-based line) for each table-like name read in FROM or JOIN, in order, once each."""
    tokens = _tokens(sql)

    def at(k: int) -> _Token | None:
        return tokens[k] if 0 <= k < len(tokens) else None

    found: list[tuple[str, int]] = []
    own: set[str] = set()  # CTE names
    openers: list[str] = []  # the word before each open "(", "" when none

    def text(k: int) -> str:
        token = at(k)
        return token.text if token is not None else ""

    def skip_alias(j: int) -> int:
        if _is(at(j), "final"):
            j += 1
        if _is(at(j), "as"):
            j += 1
        alias = at(j)
        if alias is not None and alias.kind == "word":
            if alias.quoted or alias.text.lower() not in _CLAUSE_WORDS:
                j += 1
        return j

    def read_name(k: int) -> int:
        """Read the table at k (recording it when it can be a project name); return the index
        after it and its alias, or k when there is no table there."""
        token = at(k)
        if token is None or token.kind != "word":
            return k
        if not token.quoted and token.text.lower() in _CLAUSE_WORDS:
            return k
        if text(k + 1) == "(":  # a table function: skip its arguments
            depth, j = 0, k + 1
            while j < len(tokens):
                if tokens[j].kind == "punct":
                    depth += {"(": 1, ")": -1}.get(tokens[j].text, 0)
                j += 1
                if depth == 0:
                    break
            return skip_alias(j)
        if text(k + 1) == ".":  # db.table: not a project name
            return skip_alias(k + 3)
        found.append((token.text, token.line))
        return skip_alias(k + 1)

    k = 0
    while k < len(tokens):
        token = tokens[k]
        if token.kind == "punct":
            if token.text == "(":
                before = at(k - 1)
                openers.append(before.text.lower() if before and before.kind == "word" else "")
            elif token.text == ")" and openers:
                openers.pop()
            k += 1
            continue
        if _is(at(k + 1), "as") and text(k + 2) == "(":
            own.add(token.text)
        if _is(token, "from") and not (openers and openers[-1] in _FROM_FUNCTIONS):
            j = read_name(k + 1)
            while j > k + 1 and text(j) == ",":
                after = read_name(j + 1)
                if after == j + 1:
                    break
                j = after
            k = max(j, k + 1)
            continue
        if _is(token, "join") and not _is(at(k - 1), "array"):
            k = max(read_name(k + 1), k + 1)
            continue
        k += 1
    seen: set[str] = set()
    result: list[tuple[str, int]] = []
    for name, line in found:
        if name not in own and name not in seen:
            seen.add(name)
            result.append((name, line))
    return result


def references(sql: str) -> tuple[str, ...]:
    return tuple(name for name, _ in scan_references(sql))
