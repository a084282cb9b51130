"""pipes 0002: the legacy engine's pipes and datasources leave as a deployable Tinybird project
(and their rows as NDJSON) before its models are dropped. Migrated back and forth with Django's
MigrationExecutor, as django-test-migrations does."""
from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from pipes import deploy, endpoint, events
from pipes.engine import Engine
from pipes.engine.ddl import create_table, drop_table

BEFORE = [("pipes", "0001_initial")]
AFTER = [("pipes", "0002_retire_legacy_engine")]
LEGACY_SQL = """
SELECT date, company_id, amount, quantity, paid
FROM legacy_orders
WHERE company_id = {{ company_id }}
  AND ({{date_from}} IS NULL OR date >= {{ date_from }})
  AND quantity >= {{ min_quantity }}
ORDER BY date;
"""
ROWS = [
    ("2024-01-01", "acme", 10.5, 1, 1),
    ("2024-01-02", "acme", 20.0, 2, 0),
    ("2024-01-03", "acme", 30.0, 3, 1),
    ("2024-01-01", "globex", 100.0, 4, 1),
]
COLUMNS = [
    {"name": "date", "type": "Date"},
    {"name": "company_id", "type": "String"},
    {"name": "amount", "type": "Float"},
    {"name": "quantity", "type": "Int"},
    {"name": "paid", "type": "Boolean"},
]

pytestmark = pytest.mark.django_db(transaction=True)


def migrate(targets: list[tuple[str, str]]) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor


@pytest.fixture
def legacy(settings, tmp_path: Path) -> Iterator[Path]:
    """The database at 0001 with one legacy pipe and datasource, its rows in the legacy
    analytics SQLite file; migrated forward again afterwards."""
    settings.DATA_DIR = tmp_path
    executor = migrate(BEFORE)
    apps = executor.loader.project_state(BEFORE).apps
    Pipe, PipeParam, Datasource = (apps.get_model("pipes", name) for name in ("Pipe", "PipeParam", "Datasource"))
    pipe = Pipe.objects.create(name="legacy_sales", description="Orders of one company.", sql=LEGACY_SQL)
    PipeParam.objects.create(pipe=pipe, name="company_id", type="String", required=True, description='The "company"')
    PipeParam.objects.create(pipe=pipe, name="date_from", type="Date")
    PipeParam.objects.create(pipe=pipe, name="min_quantity", type="Int", default="2")
    Datasource.objects.create(name="legacy_orders", columns=COLUMNS, row_count=len(ROWS))
    with sqlite3.connect(tmp_path / "analytics.sqlite3") as db:
        db.execute('CREATE TABLE "legacy_orders" (date TEXT, company_id TEXT, amount REAL, quantity INTEGER, paid INTEGER)')
        db.executemany('INSERT INTO "legacy_orders" VALUES (?, ?, ?, ?, ?)', ROWS)
    yield tmp_path / "legacy-export"
    migrate(executor.loader.graph.leaf_nodes())


def test_a_legacy_pipe_becomes_a_typed_tinybird_pipe_that_deploy_accepts(legacy: Path, capsys) -> None:
    migrate(AFTER)
    assert str(legacy) in capsys.readouterr().out
    text = (legacy / "pipes" / "legacy_sales.pipe").read_text()
    assert '{{ String(company_id, required=True, description="The \\"company\\"") }}' in text
    assert "{{ Date(date_from) }} IS NULL OR date >= {{ Date(date_from) }}" in text
    assert "quantity >= {{ Int64(min_quantity, 2) }}" in text
    assert "{{ company_id }}" not in text
    project, errors = deploy.check(legacy)
    assert errors == [] and project is not None
    assert set(project.pipes) == {"legacy_sales"} and set(project.datasources) == {"legacy_orders"}


def test_the_rows_come_out_as_ndjson_the_events_api_appends_and_the_pipe_reads(legacy: Path, engine: Engine) -> None:
    migrate(AFTER)
    lines = (legacy / "rows" / "legacy_orders.ndjson").read_text().splitlines()
    assert [json.loads(line) for line in lines][:2] == [
        {"date": "2024-01-01", "company_id": "acme", "amount": 10.5, "quantity": 1, "paid": True},
        {"date": "2024-01-02", "company_id": "acme", "amount": 20.0, "quantity": 2, "paid": False},
    ]
    project, _ = deploy.check(legacy)
    assert project is not None
    datasource = project.datasources["legacy_orders"]
    engine.command(drop_table("legacy_orders", database=engine.database))
    engine.command(create_table(datasource, database=engine.database))
    try:
        outcome = events.ingest(engine, datasource, "\n".join(lines).encode())
        assert outcome.as_json() == {"successful_rows": 4, "quarantined_rows": 0}
        query = endpoint.compose(project, project.pipes["legacy_sales"], {"company_id": "acme"})
        rows = endpoint.run_json(engine, query).data
        # The legacy meaning kept: min_quantity's default 2, an absent date_from binds NULL.
        assert [(row["date"], row["quantity"]) for row in rows] == [("2024-01-02", 2), ("2024-01-03", 3)]
    finally:
        engine.command(drop_table("legacy_orders", database=engine.database))
        engine.command(drop_table("legacy_orders_quarantine", database=engine.database))


def test_the_models_are_gone_and_nothing_is_written_without_legacy_rows(settings, tmp_path: Path) -> None:
    settings.DATA_DIR = tmp_path
    executor = migrate(BEFORE)
    migrate(AFTER)
    assert not (tmp_path / "legacy-export").exists()
    tables = connection.introspection.table_names()
    assert not {"pipes_pipe", "pipes_pipeparam", "pipes_datasource"} & set(tables)
    migrate(executor.loader.graph.leaf_nodes())


def test_rows_are_read_from_a_postgresql_analytics_database_named_by_the_legacy_variable(
    settings, tmp_path: Path, monkeypatch
) -> None:
    psycopg = pytest.importorskip("psycopg")
    url = "postgresql://postgres@127.0.0.1:5432/test"
    try:
        pg = psycopg.connect(url, connect_timeout=3, autocommit=True)
    except psycopg.OperationalError as error:
        pytest.skip(f"no PostgreSQL: {error}")
    settings.DATA_DIR = tmp_path
    table = f"legacy_export_{os.getpid()}"
    with pg:
        pg.execute(f'DROP TABLE IF EXISTS "{table}"')
        pg.execute(f'CREATE TABLE "{table}" (day date, at timestamptz, paid boolean, amount numeric)')
        pg.execute(f"INSERT INTO \"{table}\" VALUES ('2024-01-31', '2024-01-31 13:00:00+01', true, 12.5)")
        monkeypatch.setenv("LEGACY_ANALYTICS_DATABASE_URL", url.replace("postgresql://", "postgres://"))
        executor = migrate(BEFORE)
        apps = executor.loader.project_state(BEFORE).apps
        columns = [{"name": "day", "type": "Date"}, {"name": "at", "type": "DateTime"},
                   {"name": "paid", "type": "Boolean"}, {"name": "amount", "type": "Float"}]
        apps.get_model("pipes", "Datasource").objects.create(name=table, columns=columns, row_count=1)
        try:
            migrate(AFTER)
        finally:
            pg.execute(f'DROP TABLE IF EXISTS "{table}"')
            migrate(executor.loader.graph.leaf_nodes())
    [line] = (tmp_path / "legacy-export" / "rows" / f"{table}.ndjson").read_text().splitlines()
    assert json.loads(line) == {"day": "2024-01-31", "at": "2024-01-31 12:00:00", "paid": True, "amount": 12.5}
