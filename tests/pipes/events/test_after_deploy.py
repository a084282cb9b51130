"""Events into a project deployed by ``pipes.deploy``: its quarantine table and its materialized
pipe (into an AggregatingMergeTree) are the deploy's own."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from django.test import Client
from pytest_django.fixtures import Settings

from pipes.deploy import deploy
from pipes.engine import Engine, runtime
from pipes.engine.ddl import drop_table

from .conftest import URL, ndjson, write_release

pytestmark = pytest.mark.django_db

FILES = {
    "datasources/evd_clicks.datasource": """
        TOKEN "clicks_append" APPEND

        SCHEMA >
            `tenant_id` LowCardinality(String) `json:$.tenant`,
            `path` String `json:$.page.path` DEFAULT '/',
            `ms` UInt32 `json:$.timing.ms`

        ENGINE "MergeTree"
        ENGINE_SORTING_KEY "tenant_id, path"
        """,
    "datasources/evd_by_tenant.datasource": """
        SCHEMA >
            `tenant_id` LowCardinality(String),
            `clicks` AggregateFunction(count),
            `avg_ms` AggregateFunction(avg, UInt32)

        ENGINE "AggregatingMergeTree"
        ENGINE_SORTING_KEY "tenant_id"
        """,
    "materializations/evd_by_tenant_mv.pipe": """
        NODE totals
        SQL >
            SELECT tenant_id, countState() AS clicks, avgState(ms) AS avg_ms
            FROM evd_clicks
            GROUP BY tenant_id

        TYPE materialized
        DATASOURCE evd_by_tenant
        """,
}


@pytest.fixture
def deployed(tmp_path: Path, settings: Settings) -> Iterator[Engine]:
    settings.PIPES_PROJECT_DIR = tmp_path / "host"
    folder = write_release(tmp_path, "source", FILES)
    engine = runtime.engine()
    deploy(folder, engine=engine)
    yield engine
    names = engine.query(
        "SELECT name FROM system.tables WHERE database = {db:String} AND name LIKE 'evd\\\\_%' "
        "ORDER BY engine LIKE 'MaterializedView' DESC",
        {"db": engine.database},
    ).data
    for row in names:
        engine.command(drop_table(row["name"], database=engine.database))


def test_events_reach_the_deployed_view_and_quarantine(client: Client, admin_token: str, deployed: Engine):
    body = ndjson(
        {"tenant": "acme", "page": {"path": "/a"}, "timing": {"ms": 10}},
        {"tenant": "acme", "timing": {"ms": 30}},
        {"tenant": "globex", "timing": {"ms": 5}},
        {"tenant": "globex", "timing": {"ms": -5}},
        {"tenant": "acme"},
    )
    response = client.generic("POST", f"{URL}?name=evd_clicks&wait=true", body, HTTP_AUTHORIZATION=f"Bearer {admin_token}")
    assert response.status_code == 200, response.content
    assert response.json() == {"successful_rows": 3, "quarantined_rows": 2}
    database = deployed.database
    totals = deployed.query(
        f"SELECT tenant_id, countMerge(clicks) AS clicks, avgMerge(avg_ms) AS avg_ms "
        f"FROM {database}.evd_by_tenant GROUP BY tenant_id ORDER BY tenant_id"
    ).data
    assert [(t["tenant_id"], t["clicks"], t["avg_ms"]) for t in totals] == [("acme", 2, 20), ("globex", 1, 5)]
    paths = deployed.query(f"SELECT path FROM {database}.evd_clicks ORDER BY path").data
    assert [p["path"] for p in paths] == ["/", "/", "/a"]
    held = deployed.query(f"SELECT c__error_column FROM {database}.evd_clicks_quarantine ORDER BY c__raw").data
    assert sorted(h["c__error_column"][0] for h in held) == ["ms", "ms"]
