"""Tinybird's own clients against the built-in host: a small Tinybird project deployed with
``pipes.deploy`` on the test process's engine, served by pytest-django's ``live_server`` (one
threaded server in this process, so it shares the process's chDB folder), and tokens minted by
Panes' ``charts.tokens`` and signed with the host's admin token, as a dashboard page gets them.

Neither client is a runtime dependency: ``@tinybirdco/charts`` (with React and esbuild) is an npm
devDependency, ``tinybird-python-sdk`` is in requirements-dev.txt.
"""
from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import pytest
from django.conf import settings
from django.test import override_settings

from charts.tokens import ChartSpec, RuleSpec, build_payload, check_signing_key, sign
from pipes.deploy import deploy
from pipes.engine import Engine, runtime
from pipes.engine.ddl import drop_table
from tests.pipes.releases import write_release

PREFIX = "cl_"
ORDERS = [
    ("acme", "2024-01-01", "Berlin", 10.0),
    ("acme", "2024-01-02", "Paris", 20.0),
    ("acme", "2024-01-03", "Berlin", 30.0),
    ("acme", "2024-01-04", "Lyon", 15.0),
    ("globex", "2024-01-01", "Rome", 100.0),
    ("globex", "2024-01-02", "Madrid", 200.0),
    ("globex", "2024-01-05", "Rome", 50.0),
]

FILES = {
    "datasources/cl_orders.datasource": """
        DESCRIPTION >
            Orders of every company.

        SCHEMA >
            `company_id` LowCardinality(String),
            `date` Date,
            `city` String,
            `amount` Float64

        ENGINE "MergeTree"
        ENGINE_SORTING_KEY "company_id, date"
        """,
    "datasources/cl_events.datasource": """
        DESCRIPTION >
            Orders as events, appended by Tinybird's Python SDK.

        SCHEMA >
            `company_id` LowCardinality(String) `json:$.company.id`,
            `city` String `json:$.city` DEFAULT 'unknown',
            `amount` Float64 `json:$.amount`,
            `quantity` UInt8 `json:$.quantity` DEFAULT 1

        ENGINE "MergeTree"
        ENGINE_SORTING_KEY "company_id"
        """,
    "datasources/cl_events_totals.datasource": """
        SCHEMA >
            `company_id` LowCardinality(String),
            `total` AggregateFunction(sum, Float64)

        ENGINE "AggregatingMergeTree"
        ENGINE_SORTING_KEY "company_id"
        """,
    "datasources/cl_logs.datasource": """
        DESCRIPTION >
            Log records sent by the SDK's TinybirdLoggingHandler.

        SCHEMA >
            `app_name` String `json:$.app_name`,
            `level` String `json:$.levelname`,
            `message` String `json:$.message`,
            `logger` String `json:$.name`

        ENGINE "MergeTree"
        ENGINE_SORTING_KEY "app_name"
        """,
    "materializations/cl_events_totals_mv.pipe": """
        NODE totals
        SQL >
            SELECT company_id, sumState(amount) AS total FROM cl_events GROUP BY company_id

        TYPE materialized
        DATASOURCE cl_events_totals
        """,
    "endpoints/cl_daily.pipe": """
        DESCRIPTION >
            Sales per day of one company, optionally of some cities.

        NODE endpoint
        SQL >
            %
            SELECT date, sum(amount) AS total
            FROM cl_orders
            WHERE company_id = {{ String(company_id, required=True) }}
            {% if defined(cities) %}
                AND city IN {{ Array(cities, 'String') }}
            {% end %}
            GROUP BY date
            ORDER BY date

        TYPE endpoint
        """,
    "endpoints/cl_by_city.pipe": """
        NODE endpoint
        SQL >
            %
            SELECT city, sum(amount) AS total
            FROM cl_orders
            WHERE company_id = {{ String(company_id, required=True) }}
            GROUP BY city
            ORDER BY total DESC, city

        TYPE endpoint
        """,
    "endpoints/cl_event_totals.pipe": """
        NODE endpoint
        SQL >
            %
            SELECT company_id, sumMerge(total) AS total
            FROM cl_events_totals
            WHERE company_id = {{ String(company_id, required=True) }}
            GROUP BY company_id

        TYPE endpoint
        """,
}


def _drop_ours(engine: Engine) -> None:
    names = engine.query(
        "SELECT name FROM system.tables WHERE database = {db:String} AND startsWith(name, {prefix:String}) "
        "ORDER BY engine = 'MaterializedView' DESC",
        {"db": engine.database, "prefix": PREFIX},
    ).data
    for row in names:
        engine.command(drop_table(str(row["name"]), database=engine.database))


@pytest.fixture(scope="module")
def host(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """The clients' project, deployed as ``manage.py pipes_deploy`` would, with the orders in."""
    base = tmp_path_factory.mktemp("clients")
    folder = write_release(base, "source", FILES)
    with override_settings(PIPES_PROJECT_DIR=base / "host"):
        engine = runtime.engine()
        _drop_ours(engine)
        deploy(folder, engine=engine)
        engine.insert("cl_orders", ["company_id", "date", "city", "amount"], ORDERS)
        yield engine
        _drop_ours(runtime.engine())


@pytest.fixture
def admin_token() -> str:
    return os.environ[settings.PIPES_ADMIN_TOKEN_ENV]


def mint(tenant: str, pipes: tuple[str, ...] = ("cl_daily", "cl_by_city")) -> str:
    """The token a page of ``pipes``' charts gets for a tenant whose rule is company_id=tenant:
    Panes' own payload builder and signature, keyed by the host's admin token."""
    plan = build_payload(
        workspace_id=settings.PIPES_WORKSPACE_ID,
        tenant_slug=tenant,
        user_id=1,
        charts=[ChartSpec(key=pipe, resource=pipe, tenant_params=("company_id",)) for pipe in pipes],
        rules=[RuleSpec(param="company_id", value=tenant)],
        now=datetime.now(timezone.utc),
        ttl_seconds=300,
    )
    assert not plan.unconfigured
    key = check_signing_key(os.environ.get(settings.PIPES_ADMIN_TOKEN_ENV), settings.PIPES_ADMIN_TOKEN_ENV)
    return sign(plan.payload, key)


def expected(tenant: str, by: str) -> list[dict]:
    """What the pipe grouping by ``by`` (date or city) must answer for ``tenant``."""
    totals: dict[str, float] = {}
    for company, date, city, amount in ORDERS:
        if company == tenant:
            key = date if by == "date" else city
            totals[key] = totals.get(key, 0.0) + amount
    rows = [{by: key, "total": total} for key, total in totals.items()]
    if by == "date":
        return sorted(rows, key=lambda row: row["date"])
    return sorted(rows, key=lambda row: (-row["total"], row["city"]))


@pytest.fixture(scope="session")
def output() -> Path:
    folder = Path(__file__).resolve().parents[2] / "test-output"
    folder.mkdir(exist_ok=True)
    return folder
