"""`manage.py demo`: deploys demo/tinybird/, loads the orders once per rows and seed, and writes
charts that name the project's endpoints."""
from __future__ import annotations

import pytest
from django.core.management import CommandError

from charts.models import Chart
from demo import content
from demo.data import COMPANIES, GENERATE_ORDERS, generate_parameters
from demo.management.commands.demo import PROJECT
from pipes import catalogue, endpoint
from pipes.datafiles import load_project
from pipes.engine import Engine
from tests.demo.conftest import ROWS, demo

pytestmark = pytest.mark.django_db


def marker(engine: Engine) -> list[dict[str, object]]:
    return engine.query("SELECT rows, seed, loaded_at FROM demo_load").data


def test_it_deploys_the_project_and_loads_the_orders(loaded: Engine) -> None:
    project = catalogue.current()
    assert project is not None and set(content.PIPES) <= set(project.pipes)
    assert loaded.query("SELECT count() AS n FROM orders").data == [{"n": ROWS}]
    assert [(row["rows"], row["seed"]) for row in marker(loaded)] == [(ROWS, 42)]
    # the materialized view rolled every order up
    assert loaded.query("SELECT sum(order_count) AS n FROM orders_daily").data == [{"n": ROWS}]


def test_a_second_run_reloads_and_redeploys_nothing(loaded: Engine) -> None:
    before = marker(loaded)
    output = demo(rows=ROWS)
    assert f"already loaded ({ROWS:,} rows, seed 42)" in output
    assert "published release" not in output
    assert marker(loaded) == before


def test_other_rows_or_seed_reload(loaded: Engine) -> None:
    acme = "SELECT count() AS n, sum(amount) AS total FROM orders WHERE company_id = 'acme'"
    first = loaded.query(acme).data
    assert "loaded 1,234 rows" in demo(rows=1234)
    assert loaded.query("SELECT count() AS n FROM orders").data == [{"n": 1234}]
    assert loaded.query("SELECT sum(order_count) AS n FROM orders_daily").data == [{"n": 1234}]
    assert "loaded 3,000 rows" in demo(rows=ROWS, seed=7)
    assert loaded.query(acme).data != first
    assert "loaded 3,000 rows" in demo(rows=ROWS, reload=True)


def test_a_load_killed_half_way_is_redone_whole(loaded: Engine) -> None:
    # what a kill between the marker's removal and its return leaves: some chunks, no marker
    loaded.command("TRUNCATE TABLE demo_load")
    loaded.command(GENERATE_ORDERS, generate_parameters(0, 100))
    assert f"loaded {ROWS:,} rows" in demo(rows=ROWS)
    assert loaded.query("SELECT count() AS n FROM orders").data == [{"n": ROWS}]
    assert loaded.query("SELECT sum(order_count) AS n FROM orders_daily").data == [{"n": ROWS}]


def test_the_same_seed_gives_the_same_rows_in_any_chunks(engine: Engine, loaded: Engine) -> None:
    whole = "SELECT count() AS n, sum(amount) AS total, groupArray(city) AS cities FROM (SELECT * FROM orders ORDER BY ALL)"
    once = engine.query(whole).data
    engine.command("TRUNCATE TABLE orders")
    engine.command(GENERATE_ORDERS, generate_parameters(0, 1000))
    engine.command(GENERATE_ORDERS, generate_parameters(1000, ROWS - 1000))
    assert engine.query(whole).data == once


def test_the_orders_have_the_demos_shape(engine: Engine, db: None) -> None:
    demo(rows=20_000)
    shares = {
        row["company_id"]: row["share"]
        for row in engine.query("SELECT company_id, count() / 20000 AS share FROM orders GROUP BY company_id").data
    }
    assert shares.keys() == COMPANIES.keys()
    assert all(abs(shares[name] - weight) < 0.02 for name, weight in COMPANIES.items())
    [span] = engine.query("SELECT min(date) AS first, max(date) AS last, min(amount) > 0 AS positive FROM orders").data
    assert span == {"first": "2026-01-01", "last": "2026-12-31", "positive": 1}
    engine.command("TRUNCATE TABLE demo_load")


def test_charts_name_the_projects_endpoints(loaded: Engine) -> None:
    project = load_project(PROJECT)
    endpoints = {name for name, pipe in project.pipes.items() if pipe.type == "endpoint"}
    assert endpoints == set(content.PIPES)
    charts = Chart.objects.all()
    assert charts and {chart.pipe_name for chart in charts} <= endpoints
    assert all(chart.pipe_id == endpoint.pipe_id(chart.pipe_name) for chart in charts)
    dated = {chart.pipe_name: tuple(chart.filter_params) for chart in charts if chart.pipe_name != "product_catalogue"}
    assert dated == {
        pipe: ("date_from", "date_to", "city") if pipe in content.CITY_PIPES else ("date_from", "date_to") for pipe in dated
    }
    # Every chart that clicks somewhere reaches an endpoint that takes what the click sets.
    clicks = {chart.title: (chart.cross_filter_param, chart.drill_pipe, tuple(chart.drill_params)) for chart in charts}
    assert clicks["Revenue by city"] == clicks["Share of revenue by city"] == ("city", "", ())
    assert clicks["Top products"] == ("", "orders_detail", ("product", "city"))
    assert clicks["Cities"] == ("", "orders_detail", ("city", "product"))
    assert all(chart.drill_pipe in endpoints for chart in charts if chart.drill_pipe)
    for chart in charts:
        chart.full_clean()


def test_negative_rows_are_refused(db: None) -> None:
    with pytest.raises(CommandError, match="--rows"):
        demo(rows=-1)
