"""A deployed two-tenant Tinybird project for the endpoint tests, on the test process's engine.

The datafiles are written into a release folder under PIPES_PROJECT_DIR/releases/, the tables
made with ``pipes.engine.ddl`` on ``runtime.engine()`` once per session, and the release
published for each test that asks for it (and unpublished after, so other tests see no project).
"""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings

from pipes.datafiles import Project, load_project
from pipes.engine import runtime
from pipes.engine.ddl import create_table, drop_table
from tests.pipes.releases import published, write_release

ORDERS = [
    ("acme", "2024-01-01", "Berlin", 10.0, 1),
    ("acme", "2024-01-02", "Paris", 20.0, 2),
    ("acme", "2024-01-03", "Berlin", 30.0, 3),
    ("globex", "2024-01-01", "Rome", 100.0, 4),
    ("globex", "2024-01-02", "Madrid", 200.0, 5),
]
COLUMNS = ["company_id", "date", "city", "amount", "quantity"]

FILES = {
    "datasources/ep_orders.datasource": """
        DESCRIPTION >
            Orders of every company.

        SCHEMA >
            `company_id` String,
            `date` Date,
            `city` String,
            `amount` Float64,
            `quantity` Int32

        ENGINE "MergeTree"
        ENGINE_SORTING_KEY "company_id, date"
        """,
    "endpoints/ep_sales.pipe": """
        DESCRIPTION >
            Orders of one company.

        NODE endpoint
        SQL >
            %
            SELECT company_id, date, city, amount, quantity
            FROM ep_orders
            WHERE company_id = {{ String(company_id, required=True, description="The company") }}
            {% if defined(date_from) %}
                AND date >= {{ Date(date_from) }}
            {% end %}
            {% if defined(min_quantity) %}
                AND quantity >= {{ Int32(min_quantity) }}
            {% end %}
            ORDER BY date, amount

        TYPE endpoint
        """,
    "endpoints/ep_by_city.pipe": """
        NODE filtered
        SQL >
            %
            SELECT * FROM ep_orders
            WHERE company_id = {{ String(company_id, required=True) }}

        NODE totals
        SQL >
            SELECT city, sum(amount) AS total FROM filtered GROUP BY city

        NODE endpoint
        SQL >
            %
            SELECT city, total FROM totals
            ORDER BY total DESC
            LIMIT {{ Int32(limit, 10) }}

        TYPE endpoint
        """,
    "endpoints/ep_top_city.pipe": """
        NODE endpoint
        SQL >
            SELECT city, total FROM ep_by_city ORDER BY total DESC LIMIT 1

        TYPE endpoint
        """,
    "endpoints/ep_cities.pipe": """
        NODE ep_cities_base
        SQL >
            %
            WITH 1 AS one
            SELECT DISTINCT city FROM ep_orders
            WHERE company_id = {{ String(company_id, required=True) }}

        NODE endpoint
        SQL >
            SELECT city FROM ep_cities_base ORDER BY city

        TYPE endpoint
        """,
    "endpoints/ep_writer.pipe": """
        NODE endpoint
        SQL >
            INSERT INTO ep_orders SELECT * FROM ep_orders

        TYPE endpoint
        """,
    "endpoints/ep_percent.pipe": """
        NODE endpoint
        SQL >
            %
            SELECT city, '100%' AS share FROM ep_orders
            WHERE city LIKE 'Ber%' AND company_id = {{ String(c, required=True) }}

        TYPE endpoint
        """,
    "endpoints/ep_broken.pipe": """
        NODE endpoint
        SQL >
            SELECT no_such_column FROM ep_orders

        TYPE endpoint
        """,
}


@pytest.fixture(scope="session")
def deployed_release() -> Iterator[Path]:
    """The release folder, its tables made and filled once per test process."""
    folder = write_release(Path(settings.PIPES_PROJECT_DIR), "endpoint-tests", FILES)
    project = load_project(folder)
    engine = runtime.engine()
    datasource = project.datasources["ep_orders"]
    engine.command(drop_table("ep_orders", database=engine.database))
    engine.command(create_table(datasource, database=engine.database))
    engine.insert("ep_orders", COLUMNS, ORDERS)
    yield folder
    engine = runtime.engine()  # another test may have closed and reopened the process's engine
    engine.command(drop_table("ep_orders", database=engine.database))


@pytest.fixture
def project(deployed_release: Path) -> Iterator[Project]:
    with published(deployed_release) as current:
        yield current
