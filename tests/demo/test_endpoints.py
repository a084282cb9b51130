"""Each demo endpoint over HTTP, as a tenant's chart calls it, equals a plain aggregate over the raw
``orders`` computed here — also while the SummingMergeTree rollup still holds unmerged parts."""
from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from demo import content
from demo.data import GENERATE_ORDERS, generate_parameters
from pipes import endpoint
from pipes.engine import Engine
from tests.demo.conftest import ROWS, admin_token, get, rows, token

pytestmark = pytest.mark.django_db

MARCH = {"date_from": "2026-03-01", "date_to": "2026-03-31"}

# The same figures straight from the raw orders, without the rollup or the templates.
RAW: dict[str, str] = {
    "sales_by_day": "SELECT date, count() AS orders, sum(amount) AS revenue FROM orders WHERE {where} "
    "GROUP BY date ORDER BY date",
    "sales_by_city": "SELECT city, sum(amount) AS revenue, count() AS orders FROM orders WHERE {where} "
    "GROUP BY city ORDER BY revenue DESC",
    "top_products": "SELECT product, sum(amount) AS revenue, count() AS orders FROM orders WHERE {where} "
    "GROUP BY product ORDER BY revenue DESC LIMIT 10",
    "kpi_totals": "SELECT sum(amount) AS revenue, count() AS orders, avg(amount) AS avg_order FROM orders WHERE {where}",
    "sales_by_month": "SELECT substring(toString(date), 1, 7) AS month, "
    "sum(if(product = 'Anvil', amount, 0)) AS anvils, sum(if(product = 'Rocket skates', amount, 0)) AS rocket_skates, "
    "sum(if(product IN ('Anvil', 'Rocket skates'), 0, amount)) AS other FROM orders WHERE {where} "
    "GROUP BY month ORDER BY month",
    "orders_detail": "SELECT date, city, product, count() AS orders, sum(amount) AS revenue FROM orders WHERE {where} "
    "GROUP BY date, city, product ORDER BY date DESC, city, product LIMIT 500",
}
TENANT_PIPES = list(RAW)


def raw(
    engine: Engine, pipe: str, company: str, dates: dict[str, str] | None = None, **only: str
) -> list[dict[str, Any]]:
    """``pipe``'s figures from the raw orders; ``only`` narrows by city and product."""
    where = "company_id = {company:String}"
    if dates:
        where += " AND date BETWEEN {date_from:Date} AND {date_to:Date}"
    for column in only:
        where += f" AND {column} = {{{column}:String}}"
    return engine.query(RAW[pipe].format(where=where), {"company": company, **(dates or {}), **only}).data


def same(answer: list[dict[str, Any]], expected: list[dict[str, Any]]) -> bool:
    """Equal row for row; the endpoints round money to cents, the raw sums do not."""
    return len(answer) == len(expected) and all(
        got.keys() == want.keys()
        and all(got[k] == (pytest.approx(v, abs=0.006) if isinstance(v, (int, float)) else v) for k, v in want.items())
        for got, want in zip(answer, expected)
    )


@pytest.mark.parametrize("pipe", TENANT_PIPES)
def test_a_tenant_gets_its_own_figures_only(client: Client, loaded: Engine, pipe: str) -> None:
    for company in ("acme", "globex"):
        # the token's fixed param wins over whatever the query string says
        answer = rows(client, pipe, token(pipe, company_id=company), company_id="initech")
        assert answer and same(answer, raw(loaded, pipe, company))
    assert not same(rows(client, pipe, token(pipe, company_id="acme")), raw(loaded, pipe, "globex"))


@pytest.mark.parametrize("pipe", TENANT_PIPES)
def test_the_date_range_narrows_the_figures(client: Client, loaded: Engine, pipe: str) -> None:
    answer = rows(client, pipe, token(pipe, company_id="acme"), **MARCH)
    assert same(answer, raw(loaded, pipe, "acme", MARCH))
    assert not same(answer, raw(loaded, pipe, "acme"))
    if pipe == "sales_by_day":
        assert {row["date"][:7] for row in answer} == {"2026-03"}


@pytest.mark.parametrize("pipe", content.CITY_PIPES)
def test_a_city_narrows_the_figures_of_the_cross_filtered_pipes(client: Client, loaded: Engine, pipe: str) -> None:
    answer = rows(client, pipe, token(pipe, company_id="acme"), city="Paris", **MARCH)
    assert answer and same(answer, raw(loaded, pipe, "acme", MARCH, city="Paris"))
    assert not same(answer, raw(loaded, pipe, "acme", MARCH))


def test_the_detail_table_narrows_by_product_and_city(client: Client, loaded: Engine) -> None:
    bearer = token(content.DETAIL_PIPE, company_id="globex")
    answer = rows(client, content.DETAIL_PIPE, bearer, product="Anvil", city="Rome")
    assert answer and same(answer, raw(loaded, content.DETAIL_PIPE, "globex", product="Anvil", city="Rome"))
    assert {(row["product"], row["city"]) for row in answer} == {("Anvil", "Rome")}
    assert list(answer[0]) == ["date", "city", "product", "orders", "revenue"]
    assert [row["date"] for row in answer] == sorted((row["date"] for row in answer), reverse=True)


def test_the_detail_table_stops_at_500_rows(client: Client, loaded: Engine) -> None:
    answer = rows(client, content.DETAIL_PIPE, token(content.DETAIL_PIPE, company_id="acme"))
    assert len(answer) == len(raw(loaded, content.DETAIL_PIPE, "acme")) <= 500


def test_only_from_is_a_range_too(client: Client, loaded: Engine) -> None:
    answer = rows(client, "sales_by_day", token("sales_by_day", company_id="acme"), date_from="2026-12-30")
    assert [row["date"] for row in answer] == ["2026-12-30", "2026-12-31"]


def test_a_company_without_orders_gets_zeros(client: Client, loaded: Engine) -> None:
    [kpi] = rows(client, "kpi_totals", token("kpi_totals", company_id="nobody"))
    assert kpi == {"revenue": 0, "orders": 0, "avg_order": None}
    assert rows(client, "sales_by_city", token("sales_by_city", company_id="nobody")) == []


def test_the_catalogue_is_the_same_for_everyone(client: Client, loaded: Engine) -> None:
    expected = loaded.query(
        "SELECT product, count(DISTINCT city) AS cities FROM orders GROUP BY product ORDER BY product"
    ).data
    assert rows(client, "product_catalogue", token("product_catalogue")) == expected
    assert rows(client, "product_catalogue", token("product_catalogue", company_id="acme")) == expected


@pytest.mark.parametrize("pipe", TENANT_PIPES)
def test_without_company_id_it_is_tinybirds_400_naming_the_param(client: Client, loaded: Engine, pipe: str) -> None:
    response = get(client, pipe, admin_token())
    assert response.status_code == 400
    assert set(response.json()) == {"error"} and "company_id" in response.json()["error"]
    assert rows(client, pipe, admin_token(), company_id="acme") == rows(client, pipe, token(pipe, company_id="acme"))


def test_the_rollup_is_right_before_it_merges(client: Client, loaded: Engine) -> None:
    loaded.command("SYSTEM STOP MERGES orders_daily")
    try:
        # a second insert of overlapping keys: a second part that SummingMergeTree has not folded in
        loaded.command(GENERATE_ORDERS, generate_parameters(ROWS, ROWS))
        [state] = loaded.query(
            "SELECT count() AS stored, uniqExact(company_id, date, city, product) AS keys FROM orders_daily"
        ).data
        assert state["stored"] > state["keys"]
        for pipe in TENANT_PIPES:
            assert same(rows(client, pipe, token(pipe, company_id="acme")), raw(loaded, pipe, "acme")), pipe
        [kpi] = rows(client, "kpi_totals", token("kpi_totals", company_id="globex"))
        assert kpi["orders"] == loaded.query("SELECT count() AS n FROM orders WHERE company_id = 'globex'").data[0]["n"]
    finally:
        loaded.command("SYSTEM START MERGES orders_daily")
    loaded.command("OPTIMIZE TABLE orders_daily FINAL")
    for pipe in TENANT_PIPES:
        assert same(rows(client, pipe, token(pipe, company_id="acme")), raw(loaded, pipe, "acme")), pipe


def test_a_token_may_name_the_endpoint_by_its_id(client: Client, loaded: Engine) -> None:
    pipe_id = endpoint.pipe_id("sales_by_city")
    assert rows(client, "sales_by_city", token(pipe_id, company_id="globex")) == rows(
        client, "sales_by_city", token("sales_by_city", company_id="globex")
    )
