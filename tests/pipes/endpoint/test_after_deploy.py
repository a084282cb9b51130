"""A project deployed by ``pipes.deploy`` is served at once, the way the host runs in production."""
from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from pytest_django.fixtures import Settings

from pipes.deploy import deploy
from pipes.engine import Engine, runtime
from pipes.engine.ddl import drop_table
from tests.pipes.conftest import scope
from tests.pipes.endpoint.conftest import write_release

pytestmark = pytest.mark.django_db

FILES = {
    "datasources/ep_deployed_visits.datasource": """
        SCHEMA >
            `tenant_id` LowCardinality(String),
            `path` String,
            `hits` UInt32

        ENGINE "MergeTree"
        ENGINE_SORTING_KEY "tenant_id, path"
        """,
    "endpoints/ep_deployed_top_paths.pipe": """
        NODE per_path
        SQL >
            %
            SELECT path, sum(hits) AS hits
            FROM ep_deployed_visits
            WHERE tenant_id = {{ String(tenant_id, required=True) }}
            GROUP BY path

        NODE endpoint
        SQL >
            %
            SELECT path, hits FROM per_path ORDER BY hits DESC LIMIT {{ Int32(limit, 2) }}

        TYPE endpoint
        """,
}


@pytest.fixture
def deployed(tmp_path: Path, settings: Settings) -> Iterator[Engine]:
    settings.PIPES_PROJECT_DIR = tmp_path / "host"
    folder = write_release(tmp_path, "source", FILES)
    engine = runtime.engine()
    deploy(folder, engine=engine)
    engine.insert(
        "ep_deployed_visits",
        ["tenant_id", "path", "hits"],
        [("acme", "/", 5), ("acme", "/a", 3), ("acme", "/b", 1), ("globex", "/", 50)],
    )
    yield engine
    engine.command(drop_table("ep_deployed_visits", database=engine.database))


def test_a_deployed_endpoint_answers_a_tenant_token(deployed: Engine, api, make_token: Callable[..., str]) -> None:
    token = make_token([scope("ep_deployed_top_paths", tenant_id="acme")])
    rows = api.rows("/v0/pipes/ep_deployed_top_paths.json", token, {"tenant_id": "globex", "limit": "5"})
    assert rows == [{"path": "/", "hits": 5}, {"path": "/a", "hits": 3}, {"path": "/b", "hits": 1}]
