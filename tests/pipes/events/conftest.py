"""A deployed project for the Events API tests, on the test process's engine.

The datafiles are written into a release folder under PIPES_PROJECT_DIR/releases/, the tables
(and a materialized view into a totals table) made with ``pipes.engine.ddl`` once per session,
emptied before each test, and the release published for each test (unpublished after).
"""
from __future__ import annotations

import gzip
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from pipes.datafiles import Project, load_project
from pipes.engine import Engine, runtime
from pipes.engine.ddl import (
    create_materialized_view,
    create_quarantine_table,
    create_table,
    drop_table,
    quarantine_name,
)
from tests.pipes.releases import published, write_release

FILES = {
    "datasources/ev_orders.datasource": """
        DESCRIPTION >
            Orders as events.

        SCHEMA >
            `company_id` String `json:$.company.id`,
            `city` LowCardinality(String) `json:$.address.city` DEFAULT 'unknown',
            `amount` Float64 `json:$.amount`,
            `quantity` UInt8 `json:$.quantity` DEFAULT 1,
            `tags` Array(String) `json:$.items[:].tag`,
            `note` Nullable(String) `json:$.note`,
            `ts` DateTime `json:$.ts` DEFAULT toDateTime('2000-01-01 00:00:00')

        ENGINE "MergeTree"
        ENGINE_SORTING_KEY "company_id"
        """,
    "datasources/ev_totals.datasource": """
        SCHEMA >
            `company_id` String,
            `total` Float64

        ENGINE "SummingMergeTree"
        ENGINE_SORTING_KEY "company_id"
        """,
    "datasources/ev_plain.datasource": """
        SCHEMA >
            `id` Int32,
            `name` String DEFAULT 'anonymous'

        ENGINE "MergeTree"
        ENGINE_SORTING_KEY "id"
        """,
}
DATASOURCES = ("ev_orders", "ev_totals", "ev_plain")
VIEW = "ev_totals_mv"
VIEW_SQL = "SELECT company_id, sum(amount) AS total FROM ev_orders GROUP BY company_id"
URL = "/v0/events"


def _drop(engine: Engine) -> None:
    engine.command(drop_table(VIEW, database=engine.database))
    for name in DATASOURCES:
        engine.command(drop_table(name, database=engine.database))
        engine.command(drop_table(quarantine_name(name), database=engine.database))


@pytest.fixture(scope="session")
def events_release() -> Iterator[Path]:
    folder = write_release(Path(settings.PIPES_PROJECT_DIR), "events-tests", FILES)
    project = load_project(folder)
    engine = runtime.engine()
    _drop(engine)
    for name in DATASOURCES:
        datasource = project.datasources[name]
        engine.command(create_table(datasource, database=engine.database))
        engine.command(create_quarantine_table(datasource, database=engine.database))
    engine.command(create_materialized_view(VIEW, "ev_totals", VIEW_SQL, database=engine.database))
    yield folder
    _drop(runtime.engine())


@pytest.fixture
def project(events_release: Path) -> Iterator[Project]:
    engine = runtime.engine()
    for name in DATASOURCES:
        engine.command(f"TRUNCATE TABLE {engine.database}.{name}")
        engine.command(f"TRUNCATE TABLE {engine.database}.{quarantine_name(name)}")
    with published(events_release) as current:
        yield current


def ndjson(*lines: Any) -> bytes:
    """Objects as NDJSON; str items are sent as they are (for broken lines)."""
    return b"".join((line if isinstance(line, str) else json.dumps(line)).encode() + b"\n" for line in lines)


class Events:
    """POST helpers for /v0/events."""

    def __init__(self, client: Client, token: str) -> None:
        self.client = client
        self.token = token

    def post(
        self,
        body: bytes,
        name: str = "ev_orders",
        *,
        token: str | None = "default",
        gzipped: bool = False,
        query: str = "",
        content_type: str = "application/x-ndjson",
        **extra: Any,
    ):
        if token == "default":
            token = self.token
        if token is not None:
            extra["HTTP_AUTHORIZATION"] = f"Bearer {token}"
        if gzipped:
            body = gzip.compress(body)
            extra["HTTP_CONTENT_ENCODING"] = "gzip"
        return self.client.generic("POST", f"{URL}?name={name}{query}", body, content_type=content_type, **extra)


@pytest.fixture
def events(client: Client, admin_token: str, project: Project) -> Events:
    return Events(client, admin_token)


@pytest.fixture
def rows(engine: Engine) -> Callable[..., list[dict[str, Any]]]:
    def read(table: str, order: str = "tuple()") -> list[dict[str, Any]]:
        return engine.query(f"SELECT * FROM {engine.database}.{table} ORDER BY {order}").data

    return read
