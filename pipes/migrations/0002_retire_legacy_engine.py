"""Retire the SQLite/PostgreSQL engine without losing anyone's pipes or rows.

Before the models go, every legacy pipe becomes a Tinybird ``.pipe`` datafile (its ``{{ name }}``
placeholders written as typed calls: ``{{ String(company_id, required=True) }}``) and every
legacy datasource a ``.datasource`` file, with its rows as NDJSON when its table can be read
(the old analytics database: ``LEGACY_ANALYTICS_DATABASE_URL``, else
``DATA_DIR/analytics.sqlite3``). All of it goes to ``DATA_DIR/legacy-export/``, ready for
``manage.py pipes_deploy`` and ``POST /v0/events`` (README: "Upgrading from the SQLite/PostgreSQL
engine"). Nothing is written when there was nothing to export. Self-contained on purpose: the
legacy modules it replaces are gone.
"""
from __future__ import annotations

import json
import math
import os
import re
import sqlite3
import sys
import time
from collections.abc import Iterator
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import migrations

EXPORT_FOLDER = "legacy-export"
LEGACY_URL_VARIABLE = "LEGACY_ANALYTICS_DATABASE_URL"
PLACEHOLDER_RE = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
# Legacy param and column types -> the typed template function, and the ClickHouse column type.
FUNCTIONS = {"String": "String", "Int": "Int64", "Float": "Float64", "Date": "Date", "DateTime": "DateTime", "Boolean": "Boolean"}
COLUMN_TYPES = {"String": "String", "Int": "Int64", "Float": "Float64", "Date": "Date", "DateTime": "DateTime", "Boolean": "Bool"}
NUMBER_RE = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")


def _block(text: str) -> str:
    return "\n".join(f"    {line}" if line.strip() else "" for line in text.strip("\n").splitlines())


def _default_literal(text: str, kind: str) -> str:
    if kind in ("Int", "Float") and NUMBER_RE.match(text):
        return text
    return json.dumps(text)


def typed_sql(sql: str, params: dict[str, Any]) -> str:
    """``sql`` with each ``{{ name }}`` written as its typed call; the first use of a param also
    carries ``required`` and ``description``, every use its default (a legacy param without one
    bound NULL, and so does a typed call without one)."""
    seen: set[str] = set()

    def typed(match: re.Match[str]) -> str:
        name = match.group(1)
        param = params.get(name)
        kind = param.type if param is not None else "String"
        args = [name]
        if param is not None and param.default != "":
            args.append(_default_literal(param.default, kind))
        if name not in seen and param is not None:
            if param.required:
                args.append("required=True")
            if param.description:
                args.append(f"description={json.dumps(param.description)}")
        seen.add(name)
        return "{{ " + f"{FUNCTIONS.get(kind, 'String')}({', '.join(args)})" + " }}"

    return PLACEHOLDER_RE.sub(typed, sql)


def pipe_datafile(pipe: Any, params: dict[str, Any]) -> str:
    parts = [f"# Exported from the legacy pipe {pipe.name} ({pipe.pipe_id}); its SQL was written for SQLite/PostgreSQL.\n"]
    if pipe.description.strip():
        parts.append(f"DESCRIPTION >\n{_block(pipe.description)}\n")
    sql = typed_sql(pipe.sql.strip().rstrip(";"), params)
    parts.append(f"NODE {pipe.name}_0\nSQL >\n    %\n{_block(sql)}\n")
    parts.append("TYPE endpoint\n")
    return "\n".join(parts)


def datasource_datafile(datasource: Any) -> str:
    parts = [f"# Exported from the legacy datasource {datasource.name}.\n"]
    if datasource.description.strip():
        parts.append(f"DESCRIPTION >\n{_block(datasource.description)}\n")
    columns = ",\n".join(
        f"`{c['name']}` Nullable({COLUMN_TYPES.get(c['type'], 'String')}) `json:$.{c['name']}`"
        for c in datasource.columns
    )
    parts.append(f"SCHEMA >\n{_block(columns)}\n")
    parts.append('ENGINE "MergeTree"\n')
    return "\n".join(parts)


# --- the rows -----------------------------------------------------------------------------------


def _legacy_connection(data_dir: Path) -> Any | None:
    """A DB-API connection to the old analytics database, or None when there is none."""
    url = os.environ.get(LEGACY_URL_VARIABLE, "")
    if url.startswith(("postgres://", "postgresql://", "pgsql://")):
        import psycopg

        return psycopg.connect("postgresql://" + url.split("://", 1)[1])
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite://"))
    elif url:
        raise ValueError(f"{LEGACY_URL_VARIABLE} must be a sqlite:/// or postgres:// URL")
    else:
        path = data_dir / "analytics.sqlite3"
    if not path.is_file():
        return None
    return sqlite3.connect(f"file:{path}?mode=ro", uri=True)


def _value(value: Any, kind: str) -> Any:
    if value is None:
        return None
    if kind == "Boolean":
        return bool(value) if not isinstance(value, str) else value.lower() in ("1", "true", "t")
    if kind == "DateTime":
        if isinstance(value, str):
            try:
                value = datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                return value
        if isinstance(value, datetime):
            if value.tzinfo is not None:
                value = value.astimezone(timezone.utc).replace(tzinfo=None)
            return value.strftime("%Y-%m-%d %H:%M:%S")
    if kind == "Date" and isinstance(value, (date, datetime)):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if hasattr(value, "__float__") and not isinstance(value, (int, float, bool)):
        return float(value)  # PostgreSQL numeric
    return value


def _rows(connection: Any, datasource: Any) -> Iterator[dict[str, Any]]:
    names = [c["name"] for c in datasource.columns]
    columns = ", ".join(f'"{n}"' for n in names)  # both engines quote identifiers so
    cursor = connection.cursor()
    cursor.execute(f'SELECT {columns} FROM "{datasource.name}"')
    kinds = [c["type"] for c in datasource.columns]
    while batch := cursor.fetchmany(10_000):
        for row in batch:
            yield {name: _value(value, kind) for name, value, kind in zip(names, row, kinds)}


def _export_rows(connection: Any, datasource: Any, path: Path, out: Any) -> str:
    total = max(int(datasource.row_count or 0), 1)
    started = time.monotonic()
    written = 0
    try:
        with path.open("w", encoding="utf-8") as handle:
            for row in _rows(connection, datasource):
                handle.write(json.dumps(row, ensure_ascii=False) + "\n")
                written += 1
                if written % 100_000 == 0:
                    elapsed = time.monotonic() - started
                    eta = elapsed * max(total - written, 0) / written
                    out.write(f"    {datasource.name}: {written:,}/{total:,} rows ({elapsed:.0f}s, eta {eta:.0f}s)\n")
    except Exception as exc:  # a table dropped or unreadable: the schema is still exported
        path.unlink(missing_ok=True)
        connection.rollback()
        return f"rows not exported ({type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''})"
    return f"{written:,} rows"


def export_legacy(apps: Any, schema_editor: Any) -> None:
    Pipe = apps.get_model("pipes", "Pipe")
    Datasource = apps.get_model("pipes", "Datasource")
    using = schema_editor.connection.alias
    pipes = list(Pipe.objects.using(using).prefetch_related("params").order_by("name"))
    datasources = list(Datasource.objects.using(using).order_by("name"))
    if not pipes and not datasources:
        return
    out = sys.stdout
    data_dir = Path(settings.DATA_DIR)
    folder = data_dir / EXPORT_FOLDER
    out.write(f"\n  Exporting {len(pipes)} legacy pipe(s) and {len(datasources)} datasource(s) to {folder}\n")
    for sub in ("pipes", "datasources", "rows"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    for pipe in pipes:
        params = {p.name: p for p in pipe.params.all()}
        (folder / "pipes" / f"{pipe.name}.pipe").write_text(pipe_datafile(pipe, params), encoding="utf-8")
        out.write(f"    pipes/{pipe.name}.pipe\n")
    connection = _legacy_connection(data_dir) if datasources else None
    try:
        for datasource in datasources:
            (folder / "datasources" / f"{datasource.name}.datasource").write_text(
                datasource_datafile(datasource), encoding="utf-8"
            )
            rows = "rows not exported (no legacy analytics database found)"
            if connection is not None:
                rows = _export_rows(connection, datasource, folder / "rows" / f"{datasource.name}.ndjson", out)
            out.write(f"    datasources/{datasource.name}.datasource: {rows}\n")
    finally:
        if connection is not None:
            connection.close()
    out.write(f"  Deploy with: manage.py pipes_deploy {folder}; append rows/<name>.ndjson with POST /v0/events?name=<name>\n")


class Migration(migrations.Migration):
    dependencies = [("pipes", "0001_initial")]

    operations = [
        migrations.RunPython(export_legacy, migrations.RunPython.noop, elidable=False),
        migrations.DeleteModel(name="PipeParam"),
        migrations.DeleteModel(name="Pipe"),
        migrations.DeleteModel(name="Datasource"),
    ]
