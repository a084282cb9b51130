"""The shape shared by ``.datasource`` and ``.pipe`` files: instructions and indented blocks.

A datafile is a sequence of unindented instructions, ``KEYWORD value`` or ``KEYWORD >`` followed
by an indented block (SCHEMA, SQL, DESCRIPTION, INDEXES). Blank lines are free, ``#`` lines
outside blocks are comments. What each keyword means is the parser's business, not this
module's; here an indented line outside a block or an empty block is already an error.
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from pipes.datafiles.model import DatafileError, Origin

_KEYWORD_RE = re.compile(r"(\S+)(?:\s+(.*))?", re.S)


@dataclass(frozen=True)
class Line:
    number: int  # 1-based
    text: str  # as written, without the line break


@dataclass(frozen=True)
class Instruction:
    keyword: str  # upper-cased
    written: str  # the keyword as written, for messages
    value: str  # the inline value, stripped; "" for a block
    block: tuple[Line, ...] | None  # the indented lines of a ``KEYWORD >`` block, maybe none
    origin: Origin
    problem: str = ""  # set when the instruction's shape is already wrong


def split_lines(text: str) -> list[str]:
    """The file's lines exactly as an editor numbers them (not str.splitlines, which also
    breaks at form feeds and other separators)."""
    if text.startswith("\ufeff"):
        text = text[1:]
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")


def _indented(text: str) -> bool:
    return text[:1].isspace()


def read_instructions(text: str, path: Path) -> Iterator[Instruction | DatafileError]:
    """Each instruction of the file in order, or the error found where one was expected. An
    instruction whose shape is wrong comes with its ``problem``, so that the parser knows it
    was given."""
    lines = split_lines(text)
    i = 0
    while i < len(lines):
        raw = lines[i]
        origin = Origin(path, i + 1)
        if not raw.strip() or raw.startswith("#"):
            i += 1
            continue
        if _indented(raw):
            yield DatafileError(
                origin,
                f"unexpected indented line {raw.strip()[:40]!r}: only the lines of a block "
                "(SCHEMA >, SQL >, DESCRIPTION >, INDEXES >) are indented",
            )
            i += 1
            while i < len(lines) and (not lines[i].strip() or _indented(lines[i])):
                i += 1
            continue
        match = _KEYWORD_RE.fullmatch(raw.strip())
        assert match is not None  # a non-blank, unindented line always has a first word
        written, value = match.group(1), (match.group(2) or "").strip()
        i += 1
        if value.startswith(">") and value != ">":
            problem = f"{written} >: the block goes on the next lines, indented, not after '>'"
            yield Instruction(written.upper(), written, value, None, origin, problem)
        elif value == ">":
            block: list[Line] = []
            while i < len(lines) and (not lines[i].strip() or _indented(lines[i])):
                block.append(Line(i + 1, lines[i]))
                i += 1
            while block and not block[-1].text.strip():
                block.pop()
            yield Instruction(written.upper(), written, "", tuple(block), origin)
        else:
            yield Instruction(written.upper(), written, value, None, origin)


def block_of(instruction: Instruction) -> tuple[Line, ...]:
    """The instruction's block; an error when it was written inline or its block is empty."""
    if instruction.block is None:
        raise DatafileError(
            instruction.origin, f"{instruction.written} > needs an indented block below it"
        )
    if not instruction.block:
        raise DatafileError(
            instruction.origin,
            f"{instruction.written} > needs an indented block on the lines below it",
        )
    return instruction.block


def dedent(block: tuple[Line, ...]) -> list[Line]:
    """The block without the indentation its non-blank lines share; blank lines become ""."""
    texts = [line.text for line in block if line.text.strip()]
    prefix = texts[0][: len(texts[0]) - len(texts[0].lstrip())] if texts else ""
    for text in texts[1:]:
        while not text.startswith(prefix):
            prefix = prefix[:-1]
    return [
        Line(line.number, line.text[len(prefix):].rstrip() if line.text.strip() else "")
        for line in block
    ]


def unquote(value: str) -> str:
    """A value written "quoted" or 'quoted' or bare, as Tinybird's examples all do.

    Quotes are taken off only when they wrap the whole value: ``'a' || 'b'`` stays as written.
    """
    quote = value[:1]
    if len(value) >= 2 and quote in ("'", '"') and value[-1] == quote and quote not in value[1:-1]:
        return value[1:-1]
    return value
