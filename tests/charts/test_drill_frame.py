"""/frame/<chart>/drill/: a chart's detail table, only where its drill-through is offered."""
from __future__ import annotations

import pytest
from django.urls import reverse

from charts.models import TenantFilterRule
from tests.charts.builders import KNOWN_KEY, make_chart, make_dashboard
from tests.charts.test_frame_view import config_of
from tests.conftest import LOCAL_KEY_ENV


@pytest.fixture(autouse=True)
def known_key(monkeypatch) -> None:
    monkeypatch.setenv(LOCAL_KEY_ENV, KNOWN_KEY)


@pytest.fixture
def products(workspace, acme):
    chart = make_chart(
        workspace, "Top products", "top_products", chart_type="bar", index_column="product", category_columns="revenue",
        filter_params="date_from, date_to", drill_pipe="orders_detail", drill_params="product, city",
        cross_filter_param="product",
    )
    make_dashboard("sales", acme, charts=[chart])
    return chart


def url(chart, **query) -> str:
    base = reverse("charts:drill_frame", args=[chart.pk])
    return base + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def test_it_is_the_detail_table_of_the_drill_pipe(alice_client, products) -> None:
    response = alice_client.get(url(products, product="Widget", date_from="2026-01-01", company_id="globex"))
    assert response.status_code == 200
    config = config_of(response)
    assert config["mode"] == "detail" and config["type"] == "table" and config["pipe"] == "orders_detail"
    assert config["title"] == "Top products" and config["drill_params"] == ["product", "city"]
    assert config["filter_params"] == ["date_from", "date_to", "product", "city"]
    # A tenant param in the URL is never taken: the token fixes it.
    assert config["filters"] == {"product": "Widget", "date_from": "2026-01-01"}
    assert config["drill"] is True and config["compare"] == "" and config["compare_ok"] is False
    assert response.headers["Content-Security-Policy"]
    html = response.content.decode()
    assert "acme" not in html and "token=" not in html


def test_the_chart_frame_says_what_a_click_does(alice_client, products) -> None:
    config = config_of(alice_client.get(reverse("charts:frame", args=[products.pk]) + "?compare=previous_year"))
    assert config["mode"] == "chart" and config["drill"] is True and config["cross_filter"] == "product"
    assert config["compare_ok"] is True and config["compare"] == "previous_year"


def test_it_is_404_without_a_drill_through(alice_client, workspace, acme) -> None:
    plain = make_chart(workspace, "Plain", "plain")
    make_dashboard("plain", acme, charts=[plain])
    assert alice_client.get(url(plain)).status_code == 404


def test_it_is_404_when_the_tenants_rules_fix_a_drill_param(alice_client, products, acme) -> None:
    TenantFilterRule.objects.create(tenant=acme, param="city", value="Paris")
    assert alice_client.get(url(products)).status_code == 404
    config = config_of(alice_client.get(reverse("charts:frame", args=[products.pk])))
    assert config["drill"] is False


def test_it_is_404_to_an_outsider(bob_client, products) -> None:
    assert bob_client.get(url(products, product="Widget")).status_code == 404


def test_a_bad_date_is_a_400_still_drawn(alice_client, products) -> None:
    response = alice_client.get(url(products, product="Widget", date_from="2026-02-30"))
    assert response.status_code == 400
    assert "not a real date" in config_of(response)["error"]
