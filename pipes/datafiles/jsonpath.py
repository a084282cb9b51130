"""Tinybird's jsonpaths: where a column's value sits in an NDJSON row.

The forms Tinybird documents: ``$.a``, ``$.a.b``, ``$.a[:]`` (every item of an array), and
``$.['x-y']`` or ``$['x-y']`` for keys that are not plain words. The parser checks them once and
the events module walks the steps, so both agree on what a path means.
"""
from __future__ import annotations

import re
from typing import Final


class EachItem:
    """The ``[:]`` step: every item of an array."""

    _instance: EachItem | None = None

    def __new__(cls) -> EachItem:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "EACH"


EACH: Final = EachItem()
Step = str | int | EachItem

_WORD_RE = re.compile(r"[^.\[\]'\"`\s]+")
_INDEX_RE = re.compile(r"\[\s*(-?\d+)\s*\]")
_EACH_RE = re.compile(r"\[\s*:\s*\]")
_QUOTED_RE = re.compile(r"\[\s*(?:'((?:[^'\\]|\\.)*)'|\"((?:[^\"\\]|\\.)*)\")\s*\]")


class JsonPathError(ValueError):
    pass


def parse_jsonpath(text: str) -> tuple[Step, ...]:
    """``$.a.b[:]`` -> ("a", "b", EACH); raises JsonPathError saying what is wrong."""
    if not text.startswith("$"):
        raise JsonPathError(f"jsonpath {text!r} must start with '$'")
    steps: list[Step] = []
    i = 1
    while i < len(text):
        if text[i] == ".":
            i += 1
            word = _WORD_RE.match(text, i)
            if word:
                steps.append(word.group(0))
                i = word.end()
                continue
            if text.startswith("[", i):
                continue  # "$.['x-y']": the bracket step follows the dot
            raise JsonPathError(f"jsonpath {text!r}: expected a key after '.' at {i}")
        if text[i] == "[":
            if match := _EACH_RE.match(text, i):
                steps.append(EACH)
            elif match := _INDEX_RE.match(text, i):
                steps.append(int(match.group(1)))
            elif match := _QUOTED_RE.match(text, i):
                key = match.group(1) if match.group(1) is not None else match.group(2)
                steps.append(re.sub(r"\\(.)", r"\1", key))
            else:
                raise JsonPathError(f"jsonpath {text!r}: bad bracket step at {i}")
            i = match.end()
            continue
        raise JsonPathError(f"jsonpath {text!r}: unexpected {text[i]!r} at {i}")
    return tuple(steps)
