"""A deployed ``sales`` pipe over the orders of three companies, every param type optional but the
tenant's: for the tests of other parts (fuzzing, key rotation) that need a real pipe on the
built-in host (chDB). Import the fixtures ``sales_release`` and ``sales`` from here."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings

from pipes.datafiles import Project, load_project
from pipes.engine import runtime
from pipes.engine.ddl import create_table, drop_table
from tests.pipes.releases import published, write_release

COLUMNS = ["date", "company_id", "city", "amount", "quantity", "paid"]
ORDERS = [
    ("2024-01-01", "acme", "Berlin", 10.0, 1, True),
    ("2024-01-02", "acme", "Paris", 20.5, 2, False),
    ("2024-01-03", "acme", "Zürich", 30.0, 3, True),
    ("2024-01-01", "globex", "Rome", 100.0, 4, True),
    ("2024-01-02", "globex", "Madrid", 200.0, 5, False),
    ("2024-01-03", "initech", "Berlin", 7.0, 6, True),
]
# Every param type, each optional but the tenant's; a String param reaches ClickHouse as text.
FILES = {
    "datasources/fz_orders.datasource": """
        SCHEMA >
            `date` Date,
            `company_id` String,
            `city` String,
            `amount` Float64,
            `quantity` Int32,
            `paid` Bool

        ENGINE "MergeTree"
        ENGINE_SORTING_KEY "company_id, date"
        """,
    "endpoints/sales.pipe": """
        NODE endpoint
        SQL >
            %
            SELECT date, company_id, city, amount, quantity, paid
            FROM fz_orders
            WHERE company_id = {{ String(company_id, required=True) }}
            {% if defined(city) %} AND city = {{ String(city) }} {% end %}
            {% if defined(date_from) %} AND date >= {{ Date(date_from) }} {% end %}
            {% if defined(min_amount) %} AND amount >= {{ Float64(min_amount) }} {% end %}
            {% if defined(min_quantity) %} AND quantity >= {{ Int32(min_quantity) }} {% end %}
            {% if defined(paid) %} AND paid = {{ Boolean(paid) }} {% end %}
            {% if defined(since) %} AND date >= toDate({{ DateTime(since) }}) {% end %}
            ORDER BY date, amount

        TYPE endpoint
        """,
}


@pytest.fixture(scope="session")
def sales_release() -> Iterator[Path]:
    folder = write_release(Path(settings.PIPES_PROJECT_DIR), "sales", FILES)
    engine = runtime.engine()
    engine.command(drop_table("fz_orders", database=engine.database))
    engine.command(create_table(load_project(folder).datasources["fz_orders"], database=engine.database))
    engine.insert("fz_orders", COLUMNS, ORDERS)
    yield folder
    engine = runtime.engine()
    engine.command(drop_table("fz_orders", database=engine.database))


@pytest.fixture
def sales(sales_release: Path) -> Iterator[Project]:
    """The deployed ``sales`` pipe over the orders of three companies."""
    with published(sales_release) as project:
        yield project
