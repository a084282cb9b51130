"""Drill-through and cross-filters on the loaded demo, end to end: the page's own token reads the
detail pipe, and a drilled table holds only the viewer's tenant's rows whatever the click carries."""
from __future__ import annotations

from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from demo import content
from pipes.engine import Engine
from tests.demo.conftest import get, rows, token
from tests.demo.test_endpoints import raw, same

pytestmark = pytest.mark.django_db


def signed_in(username: str) -> Client:
    client = Client()
    client.force_login(get_user_model().objects.get(username=username))
    return client


def tiles(client: Client, slug: str = "sales-overview", query: str = "") -> dict:
    response = client.get(reverse("charts:dashboard", args=[slug]) + query)
    assert response.status_code == 200
    return {tile.chart.title: tile for tile in response.context["tiles"]}


def page_token(tile) -> str:
    return unquote(urlsplit(tile.src).fragment.removeprefix("token="))


@pytest.mark.parametrize(("username", "company"), [("alice", "acme"), ("bob", "globex")])
def test_a_drilled_table_holds_only_the_tenants_rows_whatever_the_click_carries(
    loaded: Engine, username: str, company: str
) -> None:
    viewer = signed_in(username)
    products = tiles(viewer)["Top products"]
    assert products.drill and products.drill["params"] == ["product", "city"]
    bearer = page_token(products)
    api = Client()
    for other in ("acme", "globex", "initech", "' OR 1=1 --"):
        # A click sets product; a forged one also names another company: the token's value wins.
        answer = rows(api, content.DETAIL_PIPE, bearer, product="Anvil", company_id=other)
        assert answer and same(answer, raw(loaded, content.DETAIL_PIPE, company, product="Anvil"))
    level_two = rows(api, content.DETAIL_PIPE, bearer, product="Anvil", city="Paris", company_id="initech")
    assert same(level_two, raw(loaded, content.DETAIL_PIPE, company, product="Anvil", city="Paris"))
    # The drill frame opens for the viewer; its URL values are display config, never a tenant's.
    frame = viewer.get(products.drill["url"] + "?product=Anvil&company_id=initech")
    assert frame.status_code == 200 and b"initech" not in frame.content


def test_a_tenant_without_rules_gets_no_drill_and_no_detail_scope(loaded: Engine) -> None:
    dave = signed_in("dave")  # Initech: no company_id rule, every chart fails closed
    products = tiles(dave)["Top products"]
    assert products.src is None and products.drill is None
    assert dave.get(reverse("charts:drill_frame", args=[products.chart.pk])).status_code == 404


def test_the_city_cross_filter_reaches_every_other_chart_that_takes_it(loaded: Engine) -> None:
    alice = signed_in("alice")
    shown = tiles(alice, query="?city=Paris&date_from=2026-03-01&date_to=2026-03-31")
    cities = {title: parse_qs(urlsplit(tile.src).query).get("city") for title, tile in shown.items()}
    assert cities["Revenue by city"] is None and cities["Share of revenue by city"] is None  # the emitters
    assert cities["Top products"] == cities["Revenue by day"] == cities["Total revenue"] == ["Paris"]
    bearer = page_token(shown["Top products"])
    answer = rows(Client(), "top_products", bearer, city="Paris", date_from="2026-03-01", date_to="2026-03-31")
    assert same(answer, raw(loaded, "top_products", "acme", {"date_from": "2026-03-01", "date_to": "2026-03-31"}, city="Paris"))


def test_the_detail_pipe_refuses_a_token_for_another_pipe(loaded: Engine) -> None:
    assert get(Client(), content.DETAIL_PIPE, token("top_products", company_id="acme")).status_code == 403
