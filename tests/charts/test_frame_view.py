"""/frame/<chart>/: the Panes renderer frame carries display config only, for visible charts only."""
from __future__ import annotations

import json
import re
from html import unescape

import pytest
from django.core.exceptions import ValidationError
from django.test import override_settings
from django.urls import reverse

from charts.models import Workspace
from tests.charts.builders import KNOWN_KEY, make_chart, make_dashboard, make_tinybird_chart
from tests.conftest import LOCAL_KEY_ENV, REMOTE_KEY_ENV


@pytest.fixture(autouse=True)
def known_key(monkeypatch) -> None:
    monkeypatch.setenv(LOCAL_KEY_ENV, KNOWN_KEY)


@pytest.fixture
def chart(workspace, acme):
    chart = make_chart(
        workspace, "Revenue", "sales_by_day", chart_type="bar", index_column="date", category_columns="revenue, orders",
        colors="#111111,#222222", stacked=True, refresh_seconds=30, description="Per day", height=400, unit="EUR",
    )
    make_dashboard("sales", acme, charts=[chart])
    return chart


def url(chart) -> str:
    return reverse("charts:frame", args=[chart.pk])


def config_of(response) -> dict:
    match = re.search(r'<script id="panes-chart-config" type="application/json">(.*?)</script>', response.content.decode(), re.S)
    return json.loads(unescape(match.group(1)))


def test_it_carries_the_display_config_and_nothing_else(alice_client, chart) -> None:
    response = alice_client.get(url(chart))
    assert response.status_code == 200
    assert config_of(response) == {
        "chart": chart.pk,
        "type": "bar",
        "title": "Revenue",
        "description": "Per day",
        "index": "date",
        "categories": ["revenue", "orders"],
        "colors": ["#111111", "#222222"],
        "palette": [],
        "height": 400,
        "stacked": True,
        "unit": "EUR",
        "refresh_seconds": 30,
        "pipe": "sales_by_day",
        "api": "http://testserver",
        "filter_params": [],
        "filters": {},
        "mode": "chart",
        "cross_filter": "",
        "drill": False,
        "compare_ok": False,
        "compare": "",
        "locale": "en",
        "time_zone": "UTC",
    }
    html = response.content.decode()
    assert "acme" not in html and "company_id" not in html and "token=" not in html
    assert "vendor/echarts.common.min.js" in html and "charts/frame.js" in html


def test_the_api_origin_is_the_workspaces_then_the_setting_then_the_request(alice_client, chart, workspace) -> None:
    with override_settings(PANES_LOCAL_API_ORIGIN="http://127.0.0.1:9000/"):
        assert config_of(alice_client.get(url(chart)))["api"] == "http://127.0.0.1:9000"
    Workspace.objects.filter(pk=workspace.pk).update(api_host="https://api.tinybird.co/", signing_key_env=REMOTE_KEY_ENV)
    with override_settings(PANES_LOCAL_API_ORIGIN="http://127.0.0.1:9000"):
        assert config_of(alice_client.get(url(chart)))["api"] == "https://api.tinybird.co"


def test_only_panes_may_frame_it(alice_client, chart) -> None:
    response = alice_client.get(url(chart))
    assert response["Content-Security-Policy"].split("; ")[-1] == "frame-ancestors 'self'"
    assert response["X-Frame-Options"] == "SAMEORIGIN"


@override_settings(PANES_EMBED_ALLOWED_ORIGINS=["https://intranet.example.com"])
def test_inside_an_embedded_dashboard_the_embed_origins_are_ancestors_too(alice_client, chart) -> None:
    response = alice_client.get(url(chart))
    assert response["Content-Security-Policy"].split("; ")[-1] == "frame-ancestors 'self' https://intranet.example.com"
    assert "X-Frame-Options" not in response


def test_charts_not_on_a_visible_dashboard_are_404(alice_client, bob_client, chart, workspace, acme) -> None:
    assert bob_client.get(url(chart)).status_code == 404
    assert alice_client.get(url(make_chart(workspace, "Loose", "loose"))).status_code == 404
    assert alice_client.get(reverse("charts:frame", args=[999_999])).status_code == 404


def test_tinybird_charts_have_no_panes_frame(alice_client, workspace, acme) -> None:
    chart = make_tinybird_chart(workspace)
    make_dashboard("tb", acme, charts=[chart])
    assert alice_client.get(url(chart)).status_code == 404


def test_staff_previewing_dashboards_can_open_any_frame(staff_client, chart) -> None:
    assert staff_client.get(url(chart)).status_code == 200


def test_text_is_escaped(alice_client, workspace, acme) -> None:
    chart = make_chart(workspace, "</script><script>alert(1)</script>", "x")
    make_dashboard("xss", acme, charts=[chart])
    response = alice_client.get(url(chart))
    assert "<script>alert(1)" not in response.content.decode()
    assert config_of(response)["title"] == "</script><script>alert(1)</script>"


@pytest.mark.parametrize("unit", ["", "EUR", "%", "ms", "kg", "°C", "kWh", "req/s"])
def test_a_unit_is_a_currency_code_percent_or_a_short_suffix(chart, unit) -> None:
    chart.unit = unit
    chart.full_clean()


@pytest.mark.parametrize("unit", ["Eur", "EURO", "12", "k g", "<b>", "a\"b", "x" * 13])
def test_other_units_are_refused(chart, unit) -> None:
    chart.unit = unit
    with pytest.raises(ValidationError):
        chart.full_clean()
