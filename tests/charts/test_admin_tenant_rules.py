"""Tenant rules against the built-in host's rows (charts.admin.host_rows), and a person added with
their membership from the user form. The host is a fake ``get`` here; a test at the end asks a
real one (the demo, deployed) over HTTP."""
from __future__ import annotations

from io import StringIO
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.urls import reverse

from charts.admin import host_rows
from charts.admin.host_rows import HostPipe, meaningful_rows, pipes_of, rows_for_value, values_held
from charts.models import Membership, Tenant, TenantFilterRule
from charts.pipe_listing import ListingUnavailable
from tests.charts.builders import make_chart

ROWS = {"acme": [{"city": "Berlin", "revenue": 10}, {"city": "Rome", "revenue": 3}], "globex": [{"city": "Paris", "revenue": 7}]}
LISTING = {
    "pipes": [
        {
            "name": "sales_by_city", "type": "endpoint", "endpoint": "/v0/pipes/sales_by_city.json",
            "params": [{"name": "company_id", "type": "String", "required": True}],
            "nodes": [{"name": "sales_by_city_0", "dependencies": ["orders_daily"], "params": []}],
        },
        {
            "name": "product_catalogue", "type": "endpoint", "params": [],
            "nodes": [{"name": "product_catalogue_0", "dependencies": ["orders_daily"], "params": []}],
        },
        {"name": "orders_daily_mv", "type": "materialized", "params": [], "nodes": [{"name": "n", "dependencies": ["orders"]}]},
    ]
}


class FakeHost:
    """Answers like the built-in host for the paths the admin asks; records them."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    def __call__(self, path: str) -> tuple[int, object]:
        self.asked.append(path)
        parts = urlsplit(path)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        if parts.path == "/v0/pipes":
            return 200, LISTING
        if parts.path == "/v0/pipes/sales_by_city.json":
            if "company_id" not in query:
                return 400, {"error": "[Error] Missing columns: 'company_id'"}
            data = ROWS.get(query["company_id"], [])
            return 200, {"meta": [], "data": data, "rows": len(data)}
        if parts.path == "/v0/sql":
            if "`company_id`" in query["q"] and "`orders_daily`" in query["q"]:
                return 200, {"data": [{"value": v} for v in sorted(ROWS)], "rows": len(ROWS)}
            return 400, {"error": "Missing columns"}
        return 404, {"error": "not found"}


# --- the pure logic ------------------------------------------------------------------------------


def test_the_listing_gives_each_pipes_params_and_what_it_reads() -> None:
    pipes = {p.name: p for p in pipes_of(LISTING)}
    assert pipes["sales_by_city"] == HostPipe("sales_by_city", ("company_id",), ("orders_daily",), True)
    assert pipes["orders_daily_mv"].endpoint is False
    with pytest.raises(ListingUnavailable):
        pipes_of({"error": "nope"})


def test_a_value_with_rows_and_one_without() -> None:
    host, pipes = FakeHost(), pipes_of(LISTING)
    assert rows_for_value(host, pipes, "company_id", "acme") == ("sales_by_city", 2)
    assert rows_for_value(host, pipes, "company_id", "umbrella") == ("sales_by_city", 0)
    assert "/v0/pipes/sales_by_city.json?company_id=umbrella" in host.asked
    assert not any("product_catalogue" in path for path in host.asked)  # it does not declare the param


def test_a_totals_row_of_zeros_is_no_rows() -> None:
    assert meaningful_rows([{"revenue": 0, "orders": 0, "avg_order": None}]) == 0
    assert meaningful_rows([{"revenue": 0.0, "label": ""}, {"revenue": 3}]) == 1
    assert meaningful_rows([{"city": "Berlin", "revenue": 0}]) == 1
    assert meaningful_rows(None) == 0
    totals = HostPipe("kpi_totals", ("company_id",), ("orders_daily",), True)

    def host(path: str) -> tuple[int, object]:
        if path.startswith("/v0/pipes/kpi_totals.json"):
            return 200, {"data": [{"revenue": 0, "orders": 0}], "rows": 1}
        return FakeHost()(path)

    pipes = [totals, *pipes_of(LISTING)]
    assert rows_for_value(host, pipes, "company_id", "umbrella") == ("kpi_totals", 0)
    assert rows_for_value(host, pipes, "company_id", "acme") == ("sales_by_city", 2)


def test_nothing_is_said_when_no_pipe_declares_the_param_or_none_can_answer() -> None:
    pipes = pipes_of(LISTING)
    assert rows_for_value(FakeHost(), pipes, "region", "eu") is None
    assert rows_for_value(lambda path: (400, {"error": "x"}), pipes, "company_id", "acme") is None
    assert rows_for_value(FakeHost(), pipes, "company_id", "acme", pipe="other_pipe") is None


def test_the_values_come_from_what_the_declaring_pipes_read() -> None:
    host = FakeHost()
    assert values_held(host, pipes_of(LISTING), "company_id") == ["acme", "globex"]
    (sql,) = [parse_qs(urlsplit(p).query)["q"][0] for p in host.asked]
    assert sql == "SELECT DISTINCT `company_id` AS value FROM `orders_daily` ORDER BY value LIMIT 101 FORMAT JSON"
    assert values_held(host, pipes_of(LISTING), "region") is None
    assert values_held(host, [HostPipe("p", ("x`y",), ("t",), True)], "x`y") is None  # never into SQL


# --- in the admin, with the fake host ------------------------------------------------------------------


@pytest.fixture
def host(monkeypatch, workspace) -> FakeHost:
    fake = FakeHost()
    monkeypatch.setattr(host_rows, "admin_getter", lambda ws, request: fake)
    return fake


def rule_post(tenant: Tenant, value: str) -> dict:
    return {"tenant": tenant.pk, "param": "company_id", "value_type": "string", "value": value, "chart": ""}


def test_saving_a_rule_that_matches_no_rows_warns_naming_param_and_value(staff_client, host, db) -> None:
    umbrella = Tenant.objects.create(name="Umbrella", slug="umbrella")
    response = staff_client.post(reverse("admin:charts_tenantfilterrule_add"), rule_post(umbrella, "umbrella"), follow=True)
    page = response.content.decode()
    assert TenantFilterRule.objects.filter(tenant=umbrella, value="umbrella").exists()  # a warning, not a refusal
    assert "no rows for company_id=umbrella" in page
    assert "Values it holds: acme, globex." in page


def test_save_and_continue_shows_the_warning_once(staff_client, host, db) -> None:
    umbrella = Tenant.objects.create(name="Umbrella", slug="umbrella")
    data = {**rule_post(umbrella, "umbrella"), "_continue": "1"}
    page = staff_client.post(reverse("admin:charts_tenantfilterrule_add"), data, follow=True).content.decode()
    assert page.count("no rows for company_id=umbrella") == 1


def test_saving_a_rule_that_matches_rows_says_nothing(staff_client, host, db) -> None:
    umbrella = Tenant.objects.create(name="Umbrella", slug="umbrella")
    page = staff_client.post(reverse("admin:charts_tenantfilterrule_add"), rule_post(umbrella, "acme"), follow=True).content.decode()
    assert "no rows for" not in page


def test_the_tenant_form_warns_of_its_empty_rules_and_lists_the_values(staff_client, host, acme, globex) -> None:
    TenantFilterRule.objects.filter(tenant=globex).update(value="globex-typo")
    page = staff_client.get(reverse("admin:charts_tenant_change", args=[globex.pk])).content.decode()
    assert "no rows for company_id=globex-typo" in page
    assert "Values of company_id on Built-in: acme, globex." in page
    page = staff_client.get(reverse("admin:charts_tenant_change", args=[acme.pk])).content.decode()
    assert "no rows for" not in page
    assert "Values of company_id on Built-in: acme, globex." in page


def test_the_add_tenant_form_lists_the_values_a_new_rule_can_take(staff_client, host) -> None:
    page = staff_client.get(reverse("admin:charts_tenant_add")).content.decode()
    assert "Values of company_id on Built-in: acme, globex." in page


def test_the_rule_form_warns_too(staff_client, host, globex) -> None:
    rule = TenantFilterRule.objects.get(tenant=globex)
    rule.value = "nobody"
    rule.save()
    page = staff_client.get(reverse("admin:charts_tenantfilterrule_change", args=[rule.pk])).content.decode()
    assert "no rows for company_id=nobody" in page


def test_a_per_chart_rule_asks_that_charts_pipe(staff_client, host, workspace, globex) -> None:
    chart = make_chart(workspace, "By city", "sales_by_city")
    TenantFilterRule.objects.create(tenant=globex, param="company_id", value="acme", chart=chart)
    staff_client.get(reverse("admin:charts_tenant_change", args=[globex.pk]))
    assert "/v0/pipes/sales_by_city.json?company_id=acme" in host.asked


def test_a_host_that_cannot_be_asked_is_a_warning_not_an_error(staff_client, monkeypatch, workspace, acme) -> None:
    def refuse(ws, request):
        raise ListingUnavailable("the variable PANES_LOCAL_ADMIN_TOKEN is not set")

    monkeypatch.setattr(host_rows, "admin_getter", refuse)
    response = staff_client.get(reverse("admin:charts_tenant_change", args=[acme.pk]))
    assert response.status_code == 200
    assert "The rules were not checked against the rows of Built-in: the variable PANES_LOCAL_ADMIN_TOKEN is not set." in (
        response.content.decode()
    )


# --- a user and their membership from one form ---------------------------------------------------


def test_a_user_and_their_membership_are_added_from_the_user_form(staff_client, acme) -> None:
    page = staff_client.get(reverse("admin:auth_user_add")).content.decode()
    assert 'name="memberships-0-tenant"' in page and 'name="password1"' in page
    data = {
        "username": "umbrella-viewer", "password1": "a long pass phrase 42", "password2": "a long pass phrase 42",
        "usable_password": "true",
        "memberships-TOTAL_FORMS": "1", "memberships-INITIAL_FORMS": "0",
        "memberships-MIN_NUM_FORMS": "0", "memberships-MAX_NUM_FORMS": "1000",
        "memberships-0-tenant": acme.pk, "memberships-0-role": "viewer", "memberships-0-is_active": "on",
    }
    response = staff_client.post(reverse("admin:auth_user_add"), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    user = get_user_model().objects.get(username="umbrella-viewer")
    assert user.check_password("a long pass phrase 42")
    membership = Membership.objects.get(user=user)
    assert (membership.tenant, membership.role, membership.source) == (acme, "viewer", "admin")


def test_the_user_form_lists_a_persons_tenants(staff_client, alice) -> None:
    page = staff_client.get(reverse("admin:auth_user_change", args=[alice.pk])).content.decode()
    assert "Tenants this person belongs to" in page
    tenant_select = page.split('name="memberships-0-tenant"', 1)[1].split("</select>", 1)[0]
    assert f'<option value="{alice.memberships.get().tenant_id}" selected>Acme</option>' in tenant_select


# --- against the built-in host itself -------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_demo_host_says_which_rule_values_have_rows(live_server, client, settings, monkeypatch) -> None:
    """The demo deployed on chDB, asked over HTTP by the admin exactly as under make run."""
    call_command("demo", rows=2000, stdout=StringIO())
    settings.PANES_LOCAL_API_ORIGIN = live_server.url
    staff = get_user_model().objects.create_user("root", password="pw", is_staff=True, is_superuser=True)
    client.force_login(staff)
    umbrella = Tenant.objects.create(name="Umbrella", slug="umbrella")
    page = client.post(reverse("admin:charts_tenantfilterrule_add"), rule_post(umbrella, "umbrella"), follow=True).content.decode()
    assert "Umbrella: no rows for company_id=umbrella" in page
    assert "Values it holds: acme, globex, initech." in page
    acme = Tenant.objects.get(slug="acme")
    page = client.get(reverse("admin:charts_tenant_change", args=[acme.pk])).content.decode()
    assert "no rows for" not in page and "not checked" not in page
    assert "Values of company_id on" in page
