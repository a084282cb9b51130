"""``.datasource`` and ``.pipe`` text -> the plain data of ``pipes.datafiles.model``.

Written from Tinybird's public datafile reference. Every instruction Tinybird documents is
either read here or refused with a DatafileError naming the file, the line and the instruction;
nothing is skipped in silence. ``read_*`` return every error found in a file (an error stops
only the instruction it is in); ``parse_*`` raise the first.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from pipes.datafiles.model import (
    ON_DEMAND,
    Column,
    CopyMode,
    DatafileError,
    Datasource,
    Engine,
    Index,
    Node,
    NodeType,
    Origin,
    Pipe,
    TokenDecl,
)
from pipes.datafiles.reader import (
    Instruction,
    Line,
    block_of,
    dedent,
    read_instructions,
    unquote,
)
from pipes.datafiles.refs import references
from pipes.datafiles.schema import parse_indexes, parse_schema

NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_TOKEN_RE = re.compile(r"""(?:"([^"]+)"|'([^']+)'|(\S+))\s+([A-Za-z]+)""")
_CRON_FIELD_RE = re.compile(r"[0-9A-Za-z*/,\-?]+")

ENGINES = (
    "MergeTree",
    "ReplacingMergeTree",
    "AggregatingMergeTree",
    "SummingMergeTree",
    "CollapsingMergeTree",
    "VersionedCollapsingMergeTree",
    "Null",
)
_ENGINES_BY_LOWER = {name.lower(): name for name in ENGINES}

# ENGINE_* instruction -> Engine field, and the engines it belongs to (None: the whole family).
ENGINE_SETTINGS: dict[str, tuple[str, tuple[str, ...] | None]] = {
    "ENGINE_SORTING_KEY": ("sorting_key", None),
    "ENGINE_PARTITION_KEY": ("partition_key", None),
    "ENGINE_PRIMARY_KEY": ("primary_key", None),
    "ENGINE_TTL": ("ttl", None),
    "ENGINE_SETTINGS": ("settings", None),
    "ENGINE_VER": ("ver", ("ReplacingMergeTree",)),
    "ENGINE_IS_DELETED": ("is_deleted", ("ReplacingMergeTree",)),
    "ENGINE_SIGN": ("sign", ("CollapsingMergeTree", "VersionedCollapsingMergeTree")),
    "ENGINE_VERSION": ("version", ("VersionedCollapsingMergeTree",)),
    "ENGINE_SUMMING_COLUMNS": ("summing_columns", ("SummingMergeTree",)),
}
# Settings that name one column of the schema.
_COLUMN_SETTINGS = ("ENGINE_VER", "ENGINE_IS_DELETED", "ENGINE_SIGN", "ENGINE_VERSION")

# Documented Tinybird instructions Panes does not run, and why. Prefixes end with "_".
REFUSED: dict[str, str] = {
    "KAFKA_": "Kafka connectors are not supported; send rows to /v0/events instead",
    "IMPORT_": "S3, GCS, BigQuery and Snowflake connectors are not supported; "
    "send rows to /v0/events instead",
    "EXPORT_": "sinks are not supported",
    "FORWARD_QUERY": "schema migrations with FORWARD_QUERY are not supported",
    "BACKFILL": "BACKFILL is not supported (materialized views are backfilled on first deploy)",
    "SHARED_WITH": "sharing datasources between workspaces is not supported",
    "VERSION": "versioned resources are not supported",
    "INCLUDE": "INCLUDE files are not supported; write the nodes into the .pipe file",
    "DEPLOYMENT_METHOD": "DEPLOYMENT_METHOD is not supported",
}
_SQL_WORDS = {
    "SELECT", "FROM", "WHERE", "GROUP", "ORDER", "LIMIT", "AND", "OR", "WITH", "UNION", "JOIN",
    "LEFT", "INNER", "HAVING", "PREWHERE", "SETTINGS",
}
_REFUSED_TYPES = {
    "sink": "sink pipes are not supported",
    "stream": "stream pipes are not supported",
}


def _refusal(keyword: str) -> str | None:
    for key, reason in REFUSED.items():
        if keyword == key or (key.endswith("_") and keyword.startswith(key)):
            return reason
    return None


def _unknown(instruction: Instruction, where: str) -> DatafileError:
    """Refused by name when Tinybird documents it, else unknown, with a hint when the line looks
    like part of a block that lost its indentation."""
    reason = _refusal(instruction.keyword)
    if reason:
        return DatafileError(instruction.origin, f"{instruction.keyword}: {reason}")
    hint = ""
    if instruction.written.startswith(("%", "{")) or instruction.keyword in _SQL_WORDS:
        hint = " (are the lines of the SQL block indented?)"
    elif "`" in instruction.written or instruction.written.islower():
        hint = " (are the lines of the block above indented?)"
    return DatafileError(
        instruction.origin, f"unknown instruction {instruction.written!r} in {where}{hint}"
    )


def _text(instruction: Instruction) -> str:
    """An inline value, or a block's text without its shared indentation."""
    if instruction.block is None:
        return unquote(instruction.value)
    return "\n".join(line.text for line in dedent(block_of(instruction))).strip()


def _inline(instruction: Instruction) -> str:
    """The value of an instruction that takes one line; an error for a block or nothing."""
    if instruction.block is not None:
        raise DatafileError(instruction.origin, f"{instruction.written} takes a value, not a block")
    value = unquote(instruction.value).strip()
    if not value:
        raise DatafileError(instruction.origin, f"{instruction.written} needs a value")
    return value


def _name(instruction: Instruction, what: str) -> str:
    value = _inline(instruction)
    if not NAME_RE.fullmatch(value):
        raise DatafileError(
            instruction.origin, f"{instruction.written}: {value!r} is not a valid {what} name"
        )
    return value


def _token(instruction: Instruction, allowed: tuple[str, ...]) -> TokenDecl:
    match = _TOKEN_RE.fullmatch(instruction.value) if instruction.block is None else None
    if not match:
        raise DatafileError(
            instruction.origin, f"TOKEN: expected TOKEN \"name\" {' or '.join(allowed)}"
        )
    name = match.group(1) or match.group(2) or match.group(3)
    permission = match.group(4).upper()
    if permission not in allowed:
        raise DatafileError(
            instruction.origin,
            f"TOKEN {name!r}: {permission} is not allowed here ({' or '.join(allowed)})",
        )
    return TokenDecl(name, permission, instruction.origin)


def _tags(instruction: Instruction) -> tuple[str, ...]:
    return tuple(tag.strip() for tag in _inline(instruction).split(",") if tag.strip())


def _settings(instruction: Instruction, value: str) -> None:
    for part in _split_top_level(value):
        if "=" not in part or not part.split("=", 1)[0].strip():
            raise DatafileError(
                instruction.origin, f"ENGINE_SETTINGS: expected name=value, found {part.strip()!r}"
            )


def _split_top_level(value: str) -> list[str]:
    parts, depth, quote, start = [], 0, "", 0
    for i, ch in enumerate(value):
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(value[start:i])
            start = i + 1
    parts.append(value[start:])
    return parts


def _file_name(path: Path, suffix: str, errors: list[DatafileError]) -> str:
    name = path.name[: -len(suffix)] if path.name.endswith(suffix) else path.stem
    if not NAME_RE.fullmatch(name):
        errors.append(
            DatafileError(
                Origin(path, 1),
                f"{name!r} is not a valid name: use letters, digits and underscores, "
                "not starting with a digit",
            )
        )
    return name


class _Once:
    """Remembers which single-valued instructions were given, to refuse them twice."""

    def __init__(self) -> None:
        self.seen: dict[str, Origin] = {}

    def check(self, instruction: Instruction, scope: str = "") -> None:
        key = scope + instruction.keyword
        if key in self.seen:
            raise DatafileError(
                instruction.origin,
                f"{instruction.keyword} is given twice (first at line {self.seen[key].line})",
            )
        self.seen[key] = instruction.origin


def _run(
    text: str,
    path: Path,
    errors: list[DatafileError],
    handle: Callable[[Instruction], None],
    given: Callable[[Instruction], None] = lambda instruction: None,
) -> None:
    for item in read_instructions(text, path):
        if isinstance(item, DatafileError):
            errors.append(item)
            continue
        if item.problem:
            given(item)
            errors.append(DatafileError(item.origin, item.problem))
            continue
        try:
            handle(item)
        except DatafileError as error:
            errors.append(error)


def read_datasource(text: str, path: Path | str) -> tuple[Datasource | None, list[DatafileError]]:
    """The datasource and every error found; the datasource is None when there is any error."""
    path = Path(path)
    errors: list[DatafileError] = []
    name = _file_name(path, ".datasource", errors)
    once = _Once()
    description = ""
    tokens: list[TokenDecl] = []
    tags: tuple[str, ...] = ()
    schema: list[Instruction] = []
    columns: tuple[Column, ...] = ()
    indexes: tuple[Index, ...] = ()
    engine_name = "MergeTree"
    engine_origin: Origin | None = None
    engine_values: dict[str, tuple[str, Instruction]] = {}

    def handle(instruction: Instruction) -> None:
        nonlocal description, tags, columns, indexes, engine_name, engine_origin
        keyword = instruction.keyword
        if keyword == "DESCRIPTION":
            once.check(instruction)
            description = _text(instruction)
        elif keyword == "TOKEN":
            tokens.append(_token(instruction, ("APPEND", "READ")))
        elif keyword == "TAGS":
            once.check(instruction)
            tags = _tags(instruction)
        elif keyword == "SCHEMA":
            once.check(instruction)
            schema.append(instruction)
            columns = parse_schema(block_of(instruction), path, instruction.origin)
        elif keyword == "INDEXES":
            once.check(instruction)
            indexes = parse_indexes(block_of(instruction), path)
        elif keyword == "ENGINE":
            once.check(instruction)
            written = _inline(instruction)
            canonical = _ENGINES_BY_LOWER.get(written.lower())
            if canonical is None:
                raise DatafileError(
                    instruction.origin,
                    f"ENGINE {written!r} is not supported (supported: {', '.join(ENGINES)})",
                )
            engine_name, engine_origin = canonical, instruction.origin
        elif keyword in ENGINE_SETTINGS:
            once.check(instruction)
            if instruction.block is None and instruction.value in ('""', "''"):
                return  # written by Tinybird's own examples for "not set"
            value = _inline(instruction)
            if keyword == "ENGINE_SETTINGS":
                _settings(instruction, value)
            engine_values[keyword] = (value, instruction)
        elif keyword.startswith("ENGINE_") and _refusal(keyword) is None:
            raise DatafileError(
                instruction.origin,
                f"unknown engine setting {instruction.written!r} "
                f"(known: {', '.join(ENGINE_SETTINGS)})",
            )
        else:
            raise _unknown(instruction, "a .datasource file")

    _run(text, path, errors, handle, lambda instruction: schema.append(instruction))
    if not schema:
        errors.append(DatafileError(Origin(path, 1), "a .datasource file needs a SCHEMA > block"))
    column_names = {column.name for column in columns}
    settings: dict[str, str] = {}
    for keyword, (value, instruction) in engine_values.items():
        attribute, engines = ENGINE_SETTINGS[keyword]
        if engine_name == "Null":
            errors.append(
                DatafileError(instruction.origin, f"{keyword}: a Null engine takes no settings")
            )
        elif engines is not None and engine_name not in engines:
            errors.append(
                DatafileError(
                    instruction.origin,
                    f"{keyword} applies to {' and '.join(engines)}, not to {engine_name}",
                )
            )
        elif keyword in _COLUMN_SETTINGS and columns and value not in column_names:
            errors.append(
                DatafileError(instruction.origin, f"{keyword}: no column {value!r} in the SCHEMA")
            )
        settings[attribute] = value
    if "ENGINE_IS_DELETED" in engine_values and "ENGINE_VER" not in engine_values:
        errors.append(
            DatafileError(
                engine_values["ENGINE_IS_DELETED"][1].origin, "ENGINE_IS_DELETED needs ENGINE_VER"
            )
        )
    required = {
        "CollapsingMergeTree": ("ENGINE_SIGN",),
        "VersionedCollapsingMergeTree": ("ENGINE_SIGN", "ENGINE_VERSION"),
    }.get(engine_name, ())
    for keyword in required:
        if keyword not in engine_values:
            errors.append(
                DatafileError(
                    engine_origin or Origin(path, 1), f"ENGINE {engine_name} needs {keyword}"
                )
            )
    if errors:
        return None, sorted(errors, key=lambda error: error.origin.line)
    datasource = Datasource(
        name=name,
        origin=Origin(path, 1),
        columns=columns,
        engine=Engine(name=engine_name, **settings),
        description=description,
        tokens=tuple(tokens),
        indexes=indexes,
        tags=tags,
    )
    return datasource, errors


@dataclass
class _NodeDraft:
    name: str
    origin: Origin
    once: _Once = field(default_factory=_Once)
    sql: str | None = None
    sql_origin: Origin | None = None
    is_template: bool = False
    description: str = ""
    type: str | None = None
    type_origin: Origin | None = None
    values: dict[str, tuple[str, Origin]] = field(default_factory=dict)
    # Instructions given for this node, even those that failed: no second error for their absence.
    given: set[str] = field(default_factory=set)


def _sql(instruction: Instruction) -> tuple[str, Origin, bool]:
    """The SQL of a node without its leading "%" line, where it starts, and whether it is a
    template. Line k of the result is line ``origin.line + k`` of the file."""
    if instruction.block is None:
        lines = [(instruction.origin.line, instruction.value)]
    else:
        lines = [(line.number, line.text) for line in dedent(block_of(instruction))]
    while lines and not lines[0][1].strip():
        lines.pop(0)
    is_template = False
    if lines and lines[0][1].lstrip().startswith("%"):
        is_template = True
        number, first = lines[0]
        rest = first.lstrip()[1:]
        if rest.strip():
            lines[0] = (number, " " * (len(first) - len(rest)) + rest)
        else:
            lines.pop(0)
        while lines and not lines[0][1].strip():
            lines.pop(0)
        # The SQL under "%" is often indented deeper than the "%" itself.
        kept = [Line(number, text) for number, text in lines]
        lines = [(line.number, line.text) for line in dedent(tuple(kept))] if kept else []
    if not lines:
        raise DatafileError(instruction.origin, "SQL is empty")
    sql = "\n".join(text for _, text in lines)
    return sql, Origin(instruction.origin.path, lines[0][0]), is_template


def _node(draft: _NodeDraft, errors: list[DatafileError]) -> Node | None:
    if draft.sql is None or draft.sql_origin is None:
        if "SQL" not in draft.given:
            errors.append(DatafileError(draft.origin, f"node {draft.name!r} has no SQL > block"))
        return None
    if "TYPE" in draft.given and draft.type is None:
        return None  # its TYPE line failed and said so: what depends on the type is moot
    values = {key: value for key, (value, _) in draft.values.items()}
    origins = {key: origin for key, (_, origin) in draft.values.items()}
    needs = {NodeType.MATERIALIZED: "DATASOURCE", NodeType.COPY: "TARGET_DATASOURCE"}
    belongs = {
        "DATASOURCE": NodeType.MATERIALIZED,
        "TARGET_DATASOURCE": NodeType.COPY,
        "COPY_SCHEDULE": NodeType.COPY,
        "COPY_MODE": NodeType.COPY,
    }
    failed = False
    kind = f"TYPE {draft.type.upper()}" if draft.type else "untyped"
    for key, node_type in belongs.items():
        if key in values and draft.type != node_type:
            errors.append(
                DatafileError(
                    origins[key],
                    f"{key} belongs to a TYPE {node_type.upper()} node, "
                    f"and node {draft.name!r} is {kind}",
                )
            )
            failed = True
    if draft.type in needs and needs[draft.type] not in draft.given:
        errors.append(
            DatafileError(
                draft.type_origin or draft.origin,
                f"TYPE {draft.type.upper()} needs {needs[draft.type]} "
                "(the datasource it writes into)",
            )
        )
        failed = True
    if failed:
        return None
    target_key = needs.get(draft.type or "")
    return Node(
        name=draft.name,
        sql=draft.sql,
        origin=draft.origin,
        sql_origin=draft.sql_origin,
        is_template=draft.is_template,
        description=draft.description,
        type=draft.type,
        datasource=values.get("DATASOURCE"),
        target_datasource=values.get("TARGET_DATASOURCE"),
        copy_schedule=values.get("COPY_SCHEDULE"),
        copy_mode=values.get("COPY_MODE"),
        type_origin=draft.type_origin,
        target_origin=origins.get(target_key) if target_key else None,
        references=references(draft.sql),
    )


def _copy_schedule(instruction: Instruction) -> str:
    value = _inline(instruction)
    if value.lower() == ON_DEMAND:
        return ON_DEMAND
    fields = value.split()
    if len(fields) != 5 or not all(_CRON_FIELD_RE.fullmatch(part) for part in fields):
        raise DatafileError(
            instruction.origin,
            f"COPY_SCHEDULE: {value!r} is neither a 5-field cron expression nor @on-demand",
        )
    return value


def read_pipe(text: str, path: Path | str) -> tuple[Pipe | None, list[DatafileError]]:
    """The pipe and every error found; the pipe is None when there is any error."""
    path = Path(path)
    errors: list[DatafileError] = []
    name = _file_name(path, ".pipe", errors)
    once = _Once()
    description = ""
    tokens: list[TokenDecl] = []
    tags: tuple[str, ...] = ()
    drafts: list[_NodeDraft] = []

    def current(instruction: Instruction) -> _NodeDraft:
        if not drafts:
            raise DatafileError(
                instruction.origin, f"{instruction.keyword} must come after a NODE line"
            )
        drafts[-1].given.add(instruction.keyword)
        return drafts[-1]

    def handle(instruction: Instruction) -> None:
        nonlocal description, tags
        keyword = instruction.keyword
        if keyword == "NODE":
            node_name = _name(instruction, "node")
            for draft in drafts:
                if draft.name == node_name:
                    # The duplicate still takes its SQL, so that it raises nothing more.
                    drafts.append(_NodeDraft(node_name, instruction.origin))
                    raise DatafileError(
                        instruction.origin,
                        f"node {node_name!r} is declared twice (first at line {draft.origin.line})",
                    )
            drafts.append(_NodeDraft(node_name, instruction.origin))
        elif keyword == "DESCRIPTION":
            if drafts:
                drafts[-1].once.check(instruction)
                drafts[-1].description = _text(instruction)
            else:
                once.check(instruction)
                description = _text(instruction)
        elif keyword == "TOKEN":
            tokens.append(_token(instruction, ("READ",)))
        elif keyword == "TAGS":
            once.check(instruction)
            tags = _tags(instruction)
        elif keyword == "SQL":
            draft = current(instruction)
            draft.once.check(instruction)
            draft.sql, draft.sql_origin, draft.is_template = _sql(instruction)
        elif keyword == "TYPE":
            draft = current(instruction)
            draft.once.check(instruction)
            value = _inline(instruction).lower()
            if value in _REFUSED_TYPES:
                raise DatafileError(
                    instruction.origin, f"TYPE {value.upper()}: {_REFUSED_TYPES[value]}"
                )
            if value not in NodeType.ALL:
                raise DatafileError(
                    instruction.origin,
                    f"unknown TYPE {value!r} (supported: ENDPOINT, MATERIALIZED, COPY)",
                )
            typed = next((d for d in drafts if d.type and d.type_origin), None)
            if typed is not None and typed.type and typed.type_origin:
                raise DatafileError(
                    instruction.origin,
                    f"a pipe has at most one typed node; node {typed.name!r} is already "
                    f"TYPE {typed.type.upper()} (line {typed.type_origin.line})",
                )
            draft.type, draft.type_origin = value, instruction.origin
        elif keyword in ("DATASOURCE", "TARGET_DATASOURCE"):
            draft = current(instruction)
            draft.once.check(instruction)
            draft.values[keyword] = (_name(instruction, "datasource"), instruction.origin)
        elif keyword == "COPY_SCHEDULE":
            draft = current(instruction)
            draft.once.check(instruction)
            draft.values[keyword] = (_copy_schedule(instruction), instruction.origin)
        elif keyword == "COPY_MODE":
            draft = current(instruction)
            draft.once.check(instruction)
            mode = _inline(instruction).lower()
            if mode not in CopyMode.ALL:
                raise DatafileError(
                    instruction.origin, f"COPY_MODE {mode!r}: expected append or replace"
                )
            draft.values[keyword] = (mode, instruction.origin)
        elif keyword == "ENGINE" or keyword.startswith("ENGINE_"):
            raise DatafileError(
                instruction.origin,
                f"{keyword} in a .pipe file is not supported: declare the target's engine in its "
                ".datasource file",
            )
        else:
            raise _unknown(instruction, "a .pipe file")

    def given(instruction: Instruction) -> None:
        if drafts:
            drafts[-1].given.add(instruction.keyword)

    _run(text, path, errors, handle, given)
    nodes = [node for draft in drafts if (node := _node(draft, errors)) is not None]
    if not drafts:
        errors.append(DatafileError(Origin(path, 1), "a .pipe file needs at least one NODE"))
    if errors:
        return None, sorted(errors, key=lambda error: error.origin.line)
    pipe = Pipe(
        name=name,
        origin=Origin(path, 1),
        nodes=tuple(nodes),
        description=description,
        tokens=tuple(tokens),
        tags=tags,
    )
    return pipe, errors


def parse_datasource(text: str, path: Path | str) -> Datasource:
    """A .datasource file's text -> Datasource; the first problem raises a DatafileError."""
    datasource, errors = read_datasource(text, path)
    if errors or datasource is None:
        raise errors[0]
    return datasource


def parse_pipe(text: str, path: Path | str) -> Pipe:
    """A .pipe file's text -> Pipe; the first problem raises a DatafileError."""
    pipe, errors = read_pipe(text, path)
    if errors or pipe is None:
        raise errors[0]
    return pipe
