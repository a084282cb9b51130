"""The deploy through ServerEngine (clickhouse-connect), the client path a ClickHouse server
takes; driven over clickhouse-connect's chDB backend, as the engine tests do (no server here)."""
from __future__ import annotations

import datetime
from collections.abc import Iterator
from pathlib import Path

import clickhouse_connect
import pytest

from pipes.deploy import deploy
from pipes.engine import ChdbEngine, Engine, ServerEngine
from tests.pipes.deploy.conftest import EVENT_COLUMNS, databases, event, tables

TODAY = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0, tzinfo=None).isoformat(sep=" ")


def server_on(chdb: ChdbEngine, database: str) -> ServerEngine:
    return ServerEngine(
        "clickhouse://unused",
        client_factory=lambda: clickhouse_connect.get_client(dsn=f"chdb://{chdb.path}", database=database),
    )


@pytest.fixture
def server(engine: ChdbEngine) -> Iterator[ServerEngine]:
    server = server_on(engine, engine.database)
    yield server
    server.close()


def test_a_deploy_through_the_client_api_builds_the_same_project(
    engine: ChdbEngine, server: ServerEngine, project: Path, project_dir: Path
) -> None:
    opened: list[Engine] = []

    def staging(database: str) -> Engine:
        opened.append(server_on(engine, database))
        return opened[-1]

    deploy(project, engine=server, staging_engine=staging)
    assert tables(engine)["analytics_pages"] == "MaterializedView"
    server.insert("analytics_events", EVENT_COLUMNS, [event(TODAY, "acme", "s1", "/a")])
    hits = server.query("SELECT countMerge(hits) AS hits FROM analytics_pages_mv").data
    assert hits == [{"hits": 1}]
    outcome = deploy(project, engine=server, staging_engine=staging)
    assert len(outcome.kept) == 6 and len(opened) == 2
    assert server.query("SELECT count() AS n FROM analytics_events").data == [{"n": 1}]
    assert not [name for name in databases(engine) if name.startswith(f"{engine.database}__")]
