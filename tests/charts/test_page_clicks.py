"""The grid page's side of clicks, periods and auto-refresh: Tile.cross_filter and Tile.drill,
the frames' URLs, and the page config its scripts read."""
from __future__ import annotations

import json
import re
from html import unescape
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from charts import pages
from charts.models import Dashboard, TenantFilterRule
from tests.charts.builders import KNOWN_KEY, decode, make_chart, make_dashboard
from tests.conftest import LOCAL_KEY_ENV


@pytest.fixture(autouse=True)
def known_key(monkeypatch) -> None:
    monkeypatch.setenv(LOCAL_KEY_ENV, KNOWN_KEY)


DATES_CITY = "date_from, date_to, city"


@pytest.fixture
def board(workspace, acme, globex):
    by_city = make_chart(
        workspace, "Revenue by city", "sales_by_city", chart_type="bar", index_column="city",
        filter_params=DATES_CITY, cross_filter_param="city",
    )
    products = make_chart(
        workspace, "Top products", "top_products", chart_type="bar", index_column="product",
        filter_params=DATES_CITY, drill_pipe="orders_detail", drill_params="product, city",
    )
    catalogue = make_chart(workspace, "Catalogue", "catalogue", chart_type="table")
    board = make_dashboard("sales", acme, globex, charts=[by_city, products, catalogue])
    Dashboard.objects.filter(pk=board.pk).update(refresh_seconds=60)
    return board


def page(client, query: str = ""):
    return client.get(reverse("charts:dashboard", args=["sales"]) + query)


def page_config(response) -> dict:
    html = response.content.decode()
    return json.loads(unescape(re.search(r'id="panes-page-config" type="application/json">(.*?)</script>', html, re.S).group(1)))


def frame_queries(response) -> dict[str, dict[str, list[str]]]:
    """Chart title -> the query of its frame's URL."""
    return {tile.chart.title: parse_qs(urlsplit(tile.src).query) for tile in response.context["tiles"] if tile.src}


def test_tiles_say_what_a_click_does(alice_client, board) -> None:
    response = page(alice_client)
    tiles = {tile.chart.title: tile for tile in response.context["tiles"]}
    assert tiles["Revenue by city"].cross_filter == "city" and tiles["Revenue by city"].drill is None
    products = tiles["Top products"].chart
    assert tiles["Top products"].drill == {
        "url": reverse("charts:drill_frame", args=[products.pk]), "params": ["product", "city"], "title": "Top products"
    }
    assert tiles["Top products"].cross_filter == "" and tiles["Catalogue"].drill is None


def test_the_page_config_holds_periods_clicks_refresh_and_charts(alice_client, board) -> None:
    config = page_config(page(alice_client, "?period=last_7_days&compare=previous_period&city=Paris"))
    assert config["period"] == "last_7_days" and config["compare"] == "previous_period"
    assert config["presets"][0] == ["last_7_days", "Last 7 days"] and len(config["presets"]) == 6
    assert config["comparisons"] == [["previous_period", "Previous period"], ["previous_year", "Same period last year"]]
    assert config["cross_filters"] == ["city"] and config["filters"]["city"] == "Paris"
    assert config["refresh_seconds"] == 60 and config["api_version"] == 1
    assert [c["title"] for c in config["charts"]] == ["Revenue by city", "Top products", "Catalogue"]


def test_frames_get_the_comparison_and_never_their_own_cross_filter(alice_client, board) -> None:
    response = page(alice_client, "?date_from=2026-03-01&date_to=2026-03-31&compare=previous_year&city=Paris")
    queries = frame_queries(response)
    assert queries["Revenue by city"] == {
        "date_from": ["2026-03-01"], "date_to": ["2026-03-31"], "compare": ["previous_year"]
    }
    assert queries["Top products"]["city"] == ["Paris"] and queries["Top products"]["compare"] == ["previous_year"]
    assert queries["Catalogue"] == {}  # takes no dates: no comparison either


def test_the_cross_filter_is_a_chip_not_a_field(alice_client, board) -> None:
    parsed = page(alice_client, "?city=Paris").context["filters"]
    assert "city" not in [f.name for f in parsed.fields]
    assert [(chip.name, chip.label, chip.value) for chip in parsed.chips] == [("city", "City", "Paris")]


def test_a_cross_filter_the_rules_fix_is_not_offered(alice_client, board, acme) -> None:
    TenantFilterRule.objects.create(tenant=acme, param="city", value="Rome")
    response = page(alice_client, "?city=Paris")
    assert page_config(response)["cross_filters"] == []
    assert all(tile.cross_filter == "" for tile in response.context["tiles"])
    assert "city" not in page_config(response)["filters"]


def test_an_unknown_period_is_a_bad_filter_and_the_page_is_still_drawn(alice_client, board) -> None:
    response = page(alice_client, "?period=forever")
    assert response.status_code == 400
    assert set(response.context["filters"].errors) == {"period"}
    assert all(tile.src for tile in response.context["tiles"])


def test_the_single_chart_embed_has_no_refresh(alice_client, board) -> None:
    chart = board.charts.get(title="Top products")
    config = page_config(alice_client.get(reverse("charts:chart_embed", args=[chart.pk])))
    assert config["refresh_seconds"] is None and config["charts"] == [{"id": chart.pk, "title": "Top products"}]


def test_clicks_cost_no_query_per_chart(alice_client, workspace, acme) -> None:
    def clicky(i: int):
        return make_chart(
            workspace, f"C{i}", f"pipe_{i}", filter_params=DATES_CITY, cross_filter_param="city",
            drill_pipe="detail", drill_params="city",
        )

    make_dashboard("one", acme, charts=[clicky(0)])
    make_dashboard("many", acme, charts=[clicky(i) for i in range(1, 20)])

    def count(slug: str) -> int:
        page_url = reverse("charts:dashboard", args=[slug])
        alice_client.get(page_url)  # mint first: the second load is warm
        with CaptureQueriesContext(connection) as captured:
            assert alice_client.get(page_url + "?city=Paris").status_code == 200
        return len(captured)

    assert count("one") == count("many")


def test_the_page_token_reads_the_detail_pipe_as_the_tenant(alice_client, board) -> None:
    response = page(alice_client)
    [token] = {tile.src.split("#token=")[1] for tile in response.context["tiles"] if tile.src}
    scopes = {s["resource"]: s["fixed_params"] for s in decode(unquote(token))["scopes"]}
    assert scopes["orders_detail"] == {"company_id": "acme"}


def test_a_tenant_without_a_rule_for_the_detail_pipe_is_not_offered_the_drill(alice_client, board, acme) -> None:
    products = board.charts.get(title="Top products")
    products.tenant_params = "company_id, region"
    products.save()
    TenantFilterRule.objects.create(tenant=acme, param="region", value="eu", chart=products)  # its own pipe only
    tiles = {tile.chart.title: tile for tile in page(alice_client).context["tiles"]}
    assert tiles["Top products"].src and tiles["Top products"].drill is None
    assert alice_client.get(reverse("charts:drill_frame", args=[products.pk])).status_code == 404
