"""charts.filters and the pages that use it: what a viewer may filter by, and what is refused.

A param that is a chart's tenant param, or that the tenant's rules fix, is never offered, never
accepted from a URL and never put in a frame's address, whatever the admin typed in filter_params.
"""
from __future__ import annotations

import json
import re
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest
from django.http import QueryDict
from django.urls import reverse

from charts import filters
from charts.models import Chart, TenantFilterRule
from tests.charts.builders import KNOWN_KEY, decode, make_chart, make_dashboard, make_tinybird_chart
from tests.conftest import LOCAL_KEY_ENV


@pytest.fixture(autouse=True)
def known_key(monkeypatch) -> None:
    monkeypatch.setenv(LOCAL_KEY_ENV, KNOWN_KEY)


@pytest.fixture
def board(workspace, acme, globex):
    """Sales declares a date range and city (and, wrongly, company_id); Catalogue declares none."""
    sales = make_chart(workspace, "Sales", "sales", filter_params="date_from,date_to,city,company_id")
    regions = make_chart(workspace, "Regions", "regions", filter_params="region,date_from")
    catalogue = make_chart(workspace, "Catalogue", "catalogue")
    return make_dashboard("sales", acme, globex, charts=[sales, regions, catalogue])


def rules_of(tenant) -> list[TenantFilterRule]:
    return list(tenant.filter_rules.select_related("chart__workspace"))


def chart(board, title: str):
    return board.tiles.get(chart__title=title).chart


def frame_queries(html: str) -> dict[str, dict]:
    """chart title -> the query of its frame's address."""
    out = {}
    for match in re.finditer(r'<iframe class="tile__frame" src="([^"]+)" title="([^"]+)"', html):
        out[unescape(match.group(2))] = parse_qs(urlsplit(unescape(match.group(1))).query)
    return out


# --- what is offered ----------------------------------------------------------------------------


def test_a_charts_tenant_params_are_never_offered(board, acme) -> None:
    assert filters.chart_params(chart(board, "Sales"), rules_of(acme)) == ("date_from", "date_to", "city")


def test_params_fixed_by_the_tenants_rules_are_never_offered(board, acme, globex) -> None:
    TenantFilterRule.objects.create(tenant=acme, param="region", value="eu")  # tenant-wide
    TenantFilterRule.objects.create(tenant=globex, param="city", value="Paris", chart=chart(board, "Sales"))
    assert filters.chart_params(chart(board, "Regions"), rules_of(acme)) == ("date_from",)
    assert filters.chart_params(chart(board, "Regions"), rules_of(globex)) == ("region", "date_from")
    assert filters.chart_params(chart(board, "Sales"), rules_of(globex)) == ("date_from", "date_to")


def test_a_rule_for_another_charts_pipe_does_not_hide_the_param_elsewhere(board, workspace, acme) -> None:
    other = make_chart(workspace, "Other", "other")
    TenantFilterRule.objects.create(tenant=acme, param="city", value="Rome", chart=other)
    assert "city" in filters.chart_params(chart(board, "Sales"), rules_of(acme))


def test_a_tenant_wide_rule_on_a_filter_param_is_hidden_and_fixed_in_the_token(alice_client, board, acme) -> None:
    TenantFilterRule.objects.create(tenant=acme, param="date_from", value="2026-06-01")
    assert "date_from" not in filters.chart_params(chart(board, "Sales"), rules_of(acme))
    claims = decode(alice_client.get(reverse("charts:dashboard_token", args=["sales"])).json()["token"])
    fixed = {scope["resource"]: scope["fixed_params"] for scope in claims["scopes"]}
    assert fixed["sales"]["date_from"] == fixed["regions"]["date_from"] == "2026-06-01"
    assert "date_from" not in fixed["catalogue"]  # it declares no such param


def test_the_page_hides_exactly_what_the_token_fixes_for_the_charts_pipe(board, acme) -> None:
    sales = chart(board, "Sales")
    TenantFilterRule.objects.create(tenant=acme, param="plan", value="gold")  # no chart declares it
    TenantFilterRule.objects.create(tenant=acme, param="city", value="Rome", chart=sales)
    TenantFilterRule.objects.create(tenant=acme, param="date_to", value="2026-06-30")
    reserved = filters.HOST_RESERVED | filters.PRESENTATION_KEYS | filters.PAGE_KEYS
    assert filters.excluded_params(sales, rules_of(acme)) == {"company_id", "city", "date_to"} | reserved
    assert filters.excluded_params(chart(board, "Catalogue"), rules_of(acme)) == {"company_id"} | reserved


def test_a_stored_filter_param_list_that_no_longer_validates_offers_and_fixes_nothing(alice_client, board, acme) -> None:
    sales = chart(board, "Sales")
    Chart.objects.filter(pk=sales.pk).update(filter_params="date_from, not a name")
    TenantFilterRule.objects.create(tenant=acme, param="date_from", value="2026-06-01")
    sales.refresh_from_db()
    assert filters.chart_params(sales, rules_of(acme)) == ()
    response = alice_client.get(reverse("charts:dashboard_token", args=["sales"]))
    fixed = {scope["resource"]: scope["fixed_params"] for scope in decode(response.json()["token"])["scopes"]}
    assert fixed["sales"] == {"company_id": "acme"}


def test_tinybird_charts_offer_nothing(workspace, acme) -> None:
    tinybird = make_tinybird_chart(workspace, filter_params="date_from")
    assert filters.chart_params(tinybird, rules_of(acme)) == ()


def test_the_offer_is_the_union_with_the_date_range_first() -> None:
    assert filters.offered_params([("city", "date_to"), ("region", "date_from"), ()]) == (
        "date_from",
        "date_to",
        "city",
        "region",
    )


# --- parsing values -----------------------------------------------------------------------------


OFFER = ("date_from", "date_to", "city")


def test_it_keeps_offered_values_and_reports_the_rest_as_ignored() -> None:
    parsed = filters.parse(QueryDict("date_from=2026-03-01&city=Paris&company_id=globex&theme=dark"), OFFER)
    assert parsed.values == {"date_from": "2026-03-01", "city": "Paris"}
    assert parsed.ignored == ("company_id",)  # theme is a page switch, not a refused filter
    assert parsed.errors == {}


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("03/01/2026", "use a date written YYYY-MM-DD, e.g. 2026-03-31."),
        ("2026-3-1", "use a date written YYYY-MM-DD, e.g. 2026-03-31."),
        ("2026-02-30", "2026-02-30 is not a real date."),
        ("2026-03-01' OR 1=1", "use a date written YYYY-MM-DD, e.g. 2026-03-31."),
    ],
)
def test_a_bad_date_is_dropped_with_a_clear_message(value: str, message: str) -> None:
    parsed = filters.parse({"date_from": value}, OFFER)
    assert parsed.values == {}
    assert parsed.errors == {"date_from": message}
    assert parsed.error_messages == [f"From: {message}"]


def test_a_range_that_ends_before_it_starts_is_refused() -> None:
    parsed = filters.parse({"date_from": "2026-03-31", "date_to": "2026-03-01"}, OFFER)
    assert parsed.values == {"date_from": "2026-03-31"}
    assert parsed.errors == {"date_to": "must be on or after the start date."}


def test_overlong_and_control_character_values_are_refused() -> None:
    parsed = filters.parse({"city": "x" * 201}, OFFER)
    assert parsed.errors == {"city": "at most 200 characters."}
    assert filters.parse({"city": "Pa\x00ris"}, OFFER).errors == {"city": "control characters are not allowed."}


def test_empty_values_mean_no_filter_and_the_last_repeated_value_wins() -> None:
    assert filters.parse(QueryDict("date_from=&city=Rome&city=Paris"), OFFER).values == {"city": "Paris"}


def test_fields_describe_the_filter_bar() -> None:
    parsed = filters.parse({"date_from": "bad", "city": "Rome"}, OFFER)
    assert [(f.name, f.label, f.kind, f.value, bool(f.error)) for f in parsed.fields] == [
        ("date_from", "From", "date", "", True),
        ("date_to", "To", "date", "", False),
        ("city", "City", "text", "Rome", False),
    ]


# --- the dashboard page -------------------------------------------------------------------------


def dashboard(client, query: str = ""):
    return client.get(reverse("charts:dashboard", args=["sales"]) + (f"?{query}" if query else ""))


def test_the_filter_bar_offers_the_union_minus_tenant_params(alice_client, board) -> None:
    html = dashboard(alice_client).content.decode()
    names = re.findall(r'<input id="filter-([a-z_]+)"', html)
    assert names == ["date_from", "date_to", "city", "region"]
    assert 'data-offered="date_from,date_to,city,region"' in html


def test_values_from_the_address_reach_only_the_frames_that_declare_them(alice_client, board) -> None:
    response = dashboard(alice_client, "date_from=2026-03-01&date_to=2026-03-31&city=Paris&region=eu")
    assert response.status_code == 200
    queries = frame_queries(response.content.decode())
    assert queries["Sales"] == {"date_from": ["2026-03-01"], "date_to": ["2026-03-31"], "city": ["Paris"]}
    assert queries["Regions"] == {"region": ["eu"], "date_from": ["2026-03-01"]}
    assert queries["Catalogue"] == {}
    html = response.content.decode()
    assert 'value="2026-03-01"' in html and 'value="Paris"' in html


def test_a_tenant_param_in_the_address_is_never_forwarded(alice_client, board) -> None:
    response = dashboard(alice_client, "company_id=globex&date_from=2026-03-01")
    html = response.content.decode()
    assert response.status_code == 200
    for query in frame_queries(html).values():
        assert "company_id" not in query
    assert "ignored: company_id" in html
    assert 'id="filter-company_id"' not in html


def test_a_bad_date_in_the_address_is_a_400_that_says_why_and_still_shows_the_charts(alice_client, board) -> None:
    response = dashboard(alice_client, "date_from=2026-13-01&city=Rome")
    html = unescape(response.content.decode())
    assert response.status_code == 400
    assert "2026-13-01 is not a real date." in html
    assert 'aria-invalid="true"' in html
    queries = frame_queries(response.content.decode())
    assert queries["Sales"] == {"city": ["Rome"]}


def test_the_embed_takes_filters_from_its_address_too(alice_client, board) -> None:
    response = alice_client.get(reverse("charts:embed", args=["sales"]) + "?date_to=2026-04-30&company_id=globex")
    queries = frame_queries(response.content.decode())
    assert queries["Sales"]["date_to"] == ["2026-04-30"]
    assert all("company_id" not in q for q in queries.values())


# --- the chart frame ----------------------------------------------------------------------------


def frame_config(response) -> dict:
    match = re.search(r'<script id="panes-chart-config" type="application/json">(.*?)</script>', response.content.decode(), re.S)
    return json.loads(unescape(match.group(1)))


def test_the_frame_accepts_only_its_offered_params(alice_client, board) -> None:
    sales = chart(board, "Sales")
    response = alice_client.get(reverse("charts:frame", args=[sales.pk]) + "?date_from=2026-03-01&company_id=globex&region=eu")
    config = frame_config(response)
    assert response.status_code == 200
    assert config["filter_params"] == ["date_from", "date_to", "city"]
    assert config["filters"] == {"date_from": "2026-03-01"}


def test_a_param_fixed_for_the_tenant_is_refused_by_the_frame(alice_client, board, acme) -> None:
    sales = chart(board, "Sales")
    TenantFilterRule.objects.create(tenant=acme, param="city", value="Rome", chart=sales)
    config = frame_config(alice_client.get(reverse("charts:frame", args=[sales.pk]) + "?city=Paris"))
    assert "city" not in config["filter_params"]
    assert config["filters"] == {}


def test_a_bad_date_in_a_frame_address_is_a_400_with_the_message_in_the_frame(alice_client, board) -> None:
    sales = chart(board, "Sales")
    response = alice_client.get(reverse("charts:frame", args=[sales.pk]) + "?date_to=yesterday")
    assert response.status_code == 400
    assert frame_config(response)["error"] == "To: use a date written YYYY-MM-DD, e.g. 2026-03-31."
