"""The admin: every page loads for staff with bounded queries, keys never show, grants are
read-only, snippets and rule values are validated, and fail-closed gaps are pointed out."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from charts.forms import ChartAdminForm
from charts.models import (
    Chart,
    Dashboard,
    DashboardChart,
    Membership,
    Tenant,
    TenantFilterRule,
    TokenGrant,
    Workspace,
)

KNOWN_KEY = "known-signing-key-for-admin-tests-0123456789abcdef"
TB_KEY_ENV = "PANES_TEST_TINYBIRD_KEY"
CHART_ID = "4d21283f-b85c-4ed5-8341-e2625f0e3080"
SNIPPET = (
    '<iframe src="https://app.tinybird.co/gcp/europe-west3/endpoints/sales_by_city/charts/'
    f'{CHART_ID}?token=p.STATIC-TOKEN-FROM-THE-SNIPPET" width="100%" height="200px" style="border: none;"></iframe>'
)
MODELS = ["workspace", "tenant", "membership", "tenantfilterrule", "chart", "dashboard", "dashboardchart", "tokengrant"]


@pytest.fixture(autouse=True)
def test_variables(settings) -> None:
    """The operator allows the test's own signing-key variables."""
    settings.PANES_SIGNING_KEY_VARIABLES = [
        *settings.PANES_SIGNING_KEY_VARIABLES, TB_KEY_ENV, "PANES_KEY_OK", "PANES_KEY_SHORT", "PANES_KEY_GONE"
    ]


@pytest.fixture
def tinybird_ws(db, monkeypatch) -> Workspace:
    monkeypatch.setenv(TB_KEY_ENV, KNOWN_KEY)
    return Workspace.objects.create(
        name="Tinybird EU", workspace_id=str(uuid.uuid4()), api_host="https://api.tinybird.co", signing_key_env=TB_KEY_ENV
    )


def make_chart(workspace: Workspace, title: str, **extra) -> Chart:
    fields = {"pipe_name": "sales", "index_column": "day", "category_columns": "total", **extra}
    return Chart.objects.create(workspace=workspace, title=title, **fields)


@pytest.fixture
def world(workspace, tinybird_ws, acme, globex, alice, bob, monkeypatch):
    """One of everything: a dashboard for Acme with a Panes chart and a Tinybird chart, and a grant."""
    monkeypatch.setenv("PANES_LOCAL_ADMIN_TOKEN", KNOWN_KEY)
    panes_chart = make_chart(workspace, "Sales by day")
    tb_chart = make_chart(
        tinybird_ws,
        "Sales by city",
        kind=Chart.Kind.TINYBIRD,
        pipe_name="sales_by_city",
        embed_host="https://app.tinybird.co",
        embed_region="gcp/europe-west3",
        embed_chart_uuid=uuid.UUID(CHART_ID),
    )
    dashboard = Dashboard.objects.create(title="Sales", slug="sales")
    dashboard.tenants.add(acme)
    DashboardChart.objects.create(dashboard=dashboard, chart=panes_chart, position=1)
    DashboardChart.objects.create(dashboard=dashboard, chart=tb_chart, position=2, width=12)
    now = datetime.now(timezone.utc)
    grant = TokenGrant.objects.create(
        user=alice,
        tenant=acme,
        workspace=workspace,
        dashboard=dashboard,
        payload={"name": "panes:acme:1", "scopes": [{"type": "PIPES:READ", "resource": "sales", "fixed_params": {"company_id": "acme"}}]},
        fingerprint="f" * 64,
        issued_at=now,
        expires_at=now + timedelta(minutes=15),
    )
    return {"panes_chart": panes_chart, "tb_chart": tb_chart, "dashboard": dashboard, "grant": grant}


def objects_of(world, workspace, acme, alice) -> dict:
    return {
        "workspace": workspace,
        "tenant": acme,
        "membership": Membership.objects.get(user=alice, tenant=acme),
        "tenantfilterrule": TenantFilterRule.objects.get(tenant=acme, param="company_id"),
        "chart": world["tb_chart"],
        "dashboard": world["dashboard"],
        "dashboardchart": world["dashboard"].tiles.first(),
        "tokengrant": world["grant"],
    }


@pytest.mark.parametrize("model", MODELS)
def test_every_changelist_loads_for_staff(staff_client, world, model) -> None:
    response = staff_client.get(reverse(f"admin:charts_{model}_changelist"))
    assert response.status_code == 200


@pytest.mark.parametrize("model", [m for m in MODELS if m != "tokengrant"])
def test_every_add_page_loads_for_staff(staff_client, world, model) -> None:
    assert staff_client.get(reverse(f"admin:charts_{model}_add")).status_code == 200


@pytest.mark.parametrize("model", MODELS)
def test_every_change_page_loads_for_staff(staff_client, world, workspace, acme, alice, model) -> None:
    obj = objects_of(world, workspace, acme, alice)[model]
    response = staff_client.get(reverse(f"admin:charts_{model}_change", args=[obj.pk]))
    assert response.status_code == 200
    assert str(obj) in response.content.decode()


def test_admin_is_closed_to_members_who_are_not_staff(alice_client, world) -> None:
    response = alice_client.get(reverse("admin:charts_chart_changelist"))
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def _add_more(world, workspace, acme, n: int) -> None:
    """n more rows of every model, spread over tenants, users, charts and dashboards."""
    User = get_user_model()
    now = datetime.now(timezone.utc)
    for i in range(n):
        tenant = Tenant.objects.create(name=f"Tenant {i}", slug=f"tenant-{i}")
        TenantFilterRule.objects.create(tenant=tenant, param="company_id", value=f"t{i}")
        user = User.objects.create_user(username=f"user{i}")
        Membership.objects.create(user=user, tenant=tenant)
        ws = Workspace.objects.create(name=f"WS {i}", workspace_id=f"ws-{i}", signing_key_env=f"PANES_NO_KEY_{i}")
        chart = make_chart(ws, f"Chart {i}", tenant_params="company_id,region" if i % 2 else "")
        TenantFilterRule.objects.create(tenant=tenant, param="region", value="eu", chart=chart)
        dashboard = Dashboard.objects.create(title=f"Board {i}", slug=f"board-{i}", visible_to_all=i % 3 == 0)
        dashboard.tenants.add(tenant, acme)
        DashboardChart.objects.create(dashboard=dashboard, chart=chart)
        DashboardChart.objects.create(dashboard=dashboard, chart=world["panes_chart"], position=2)
        TokenGrant.objects.create(
            user=user, tenant=tenant, workspace=ws, dashboard=dashboard, payload={"name": f"panes:t{i}:1", "scopes": []},
            fingerprint=f"{i:064d}", issued_at=now, expires_at=now,
        )


@pytest.mark.parametrize("model", MODELS)
def test_changelist_queries_do_not_grow_with_rows(staff_client, world, workspace, acme, model) -> None:
    url = reverse(f"admin:charts_{model}_changelist")
    staff_client.get(url)  # warm up: session, content types
    with CaptureQueriesContext(connection) as few:
        assert staff_client.get(url).status_code == 200
    _add_more(world, workspace, acme, 12)
    with CaptureQueriesContext(connection) as many:
        assert staff_client.get(url).status_code == 200
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]
    assert len(many) <= 20


def test_the_signing_key_never_appears_in_any_admin_page(staff_client, world, workspace, acme, alice, monkeypatch) -> None:
    monkeypatch.setenv("PANES_LOCAL_ADMIN_TOKEN", KNOWN_KEY)
    objects = objects_of(world, workspace, acme, alice)
    urls = [reverse("admin:index"), reverse("admin:app_list", args=["charts"])]
    for model in MODELS:
        urls.append(reverse(f"admin:charts_{model}_changelist"))
        urls.append(reverse(f"admin:charts_{model}_change", args=[objects[model].pk]))
        urls.append(reverse(f"admin:charts_{model}_history", args=[objects[model].pk]))
    urls.append(reverse("admin:charts_dashboard_preview", args=[world["dashboard"].pk]) + f"?tenant={acme.pk}")
    for url in urls:
        response = staff_client.get(url)
        assert response.status_code == 200, url
        assert KNOWN_KEY not in response.content.decode(), url
        assert KNOWN_KEY[:16] not in response.content.decode(), url


def test_workspace_admin_says_whether_the_key_is_set_missing_or_too_short(staff_client, db, monkeypatch) -> None:
    monkeypatch.setenv("PANES_KEY_OK", KNOWN_KEY)
    monkeypatch.setenv("PANES_KEY_SHORT", "short-key-123")
    monkeypatch.delenv("PANES_KEY_GONE", raising=False)
    for name, env in [("ok", "PANES_KEY_OK"), ("short", "PANES_KEY_SHORT"), ("gone", "PANES_KEY_GONE")]:
        Workspace.objects.create(name=name, workspace_id=name, signing_key_env=env)
    html = staff_client.get(reverse("admin:charts_workspace_changelist")).content.decode()
    assert "too short" in html and "missing" in html and ">set<" in html
    assert "short-key-123" not in html and KNOWN_KEY not in html
    short = Workspace.objects.get(name="short")
    page = staff_client.get(reverse("admin:charts_workspace_change", args=[short.pk])).content.decode()
    assert "too short" in page and "PANES_KEY_SHORT" in page and "short-key-123" not in page


# --- Token grants: an audit trail nobody edits ------------------------------------------------------


def test_token_grants_cannot_be_added_changed_or_deleted(staff_client, world) -> None:
    grant = world["grant"]
    change_url = reverse("admin:charts_tokengrant_change", args=[grant.pk])
    assert staff_client.get(reverse("admin:charts_tokengrant_add")).status_code == 403
    assert staff_client.post(change_url, {"fingerprint": "0" * 64}).status_code == 403
    assert staff_client.post(reverse("admin:charts_tokengrant_delete", args=[grant.pk]), {"post": "yes"}).status_code == 403
    changelist = staff_client.post(
        reverse("admin:charts_tokengrant_changelist"), {"action": "delete_selected", "_selected_action": [grant.pk], "post": "yes"}
    )
    assert changelist.status_code in (200, 302)
    grant.refresh_from_db()
    assert grant.fingerprint == "f" * 64
    assert TokenGrant.objects.filter(pk=grant.pk).exists()


def test_token_grant_page_is_view_only_with_the_payload_as_pretty_json(staff_client, world) -> None:
    html = staff_client.get(reverse("admin:charts_tokengrant_change", args=[world["grant"].pk])).content.decode()
    assert 'name="_save"' not in html
    assert "<pre>" in html
    assert "&quot;fixed_params&quot;: {\n" in html
    assert "&quot;company_id&quot;: &quot;acme&quot;" in html


def test_token_grant_changelist_offers_no_delete_action(staff_client, world) -> None:
    html = staff_client.get(reverse("admin:charts_tokengrant_changelist")).content.decode()
    assert "delete_selected" not in html
    assert "panes:acme:1" in html


# --- Charts: the snippet field ------------------------------------------------------------------------


def chart_post(workspace: Workspace, **overrides) -> dict:
    data = {
        "workspace": workspace.pk,
        "title": "City sales",
        "description": "",
        "kind": Chart.Kind.TINYBIRD,
        "pipe_name": "",
        "pipe_id": "",
        "height": "320",
        "tenant_params": "",
        "snippet": SNIPPET,
        "chart_type": Chart.ChartType.LINE,
        "index_column": "",
        "category_columns": "",
        "colors": "",
        "refresh_seconds": "",
    }
    data.update(overrides)
    return data


def test_chart_admin_parses_a_pasted_snippet_and_drops_its_token(staff_client, tinybird_ws) -> None:
    response = staff_client.post(reverse("admin:charts_chart_add"), chart_post(tinybird_ws))
    assert response.status_code == 302, response.content.decode()
    chart = Chart.objects.get(title="City sales")
    assert chart.embed_host == "https://app.tinybird.co"
    assert chart.embed_region == "gcp/europe-west3"
    assert chart.pipe_name == "sales_by_city"
    assert chart.embed_chart_uuid == uuid.UUID(CHART_ID)
    stored = " ".join(str(getattr(chart, f.attname)) for f in Chart._meta.fields)
    assert "STATIC-TOKEN" not in stored


def test_chart_admin_rejects_a_bad_snippet_with_a_form_error(staff_client, tinybird_ws) -> None:
    response = staff_client.post(
        reverse("admin:charts_chart_add"),
        chart_post(tinybird_ws, snippet='<iframe src="https://evil.example/gcp/x/endpoints/p/charts/' + CHART_ID + '"></iframe>'),
    )
    assert response.status_code == 200
    assert "not a Tinybird UI host" in response.content.decode()
    assert not Chart.objects.exists()


def test_a_chart_form_shown_again_never_shows_the_pasted_token(staff_client, tinybird_ws) -> None:
    response = staff_client.post(reverse("admin:charts_chart_add"), chart_post(tinybird_ws, title=""))
    assert response.status_code == 200
    html = response.content.decode()
    assert "This field is required" in html
    assert "STATIC-TOKEN" not in html
    assert "sales_by_city/charts/" in html  # the rest of the paste is kept for the next try


def test_chart_admin_keeps_the_parsed_chart_when_the_snippet_is_left_blank(staff_client, world, tinybird_ws) -> None:
    chart = world["tb_chart"]
    data = chart_post(tinybird_ws, title="Renamed", snippet="", pipe_name="sales_by_city")
    response = staff_client.post(reverse("admin:charts_chart_change", args=[chart.pk]), data)
    assert response.status_code == 302
    chart.refresh_from_db()
    assert chart.title == "Renamed" and chart.embed_chart_uuid == uuid.UUID(CHART_ID)


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"snippet": ""}, "snippet", "needs its iframe snippet or URL"),
        ({"snippet": "javascript:alert(1)"}, "snippet", "javascript: URL"),
        ({"snippet": SNIPPET + SNIPPET}, "snippet", "2 iframes"),
        ({"pipe_name": "other_pipe"}, "pipe_name", "is a chart of pipe 'sales_by_city'"),
        ({"kind": Chart.Kind.PANES, "index_column": "d", "category_columns": "t"}, "snippet", "only for Tinybird-hosted"),
    ],
)
def test_chart_form_errors_are_clear(tinybird_ws, overrides, field, message) -> None:
    form = ChartAdminForm(data=chart_post(tinybird_ws, **overrides))
    assert not form.is_valid()
    assert any(message in error for error in form.errors[field]), form.errors
    assert "kind" not in form.errors


def test_a_tinybird_chart_cannot_live_on_the_builtin_workspace(workspace) -> None:
    form = ChartAdminForm(data=chart_post(workspace))
    assert not form.is_valid()
    assert "Panes' built-in host" in form.errors["workspace"][0]


def test_a_panes_chart_needs_no_snippet_but_a_pipe(workspace) -> None:
    data = chart_post(workspace, kind=Chart.Kind.PANES, snippet="", index_column="day", category_columns="total")
    assert not ChartAdminForm(data=data).is_valid()
    form = ChartAdminForm(data={**data, "pipe_name": "sales"})
    assert form.is_valid(), form.errors
    assert form.save().embed_chart_uuid is None


# --- Filter rules: values typed -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value_type", "value", "message"),
    [
        ("integer", "abc", "is not a whole number"),
        ("integer", "1.5", "is not a whole number"),
        ("float", "ten", "is not a number"),
        ("float", "nan", "must be finite"),
        ("boolean", "maybe", "is not true or false"),
        ("string", "   ", "required"),
    ],
)
def test_rule_values_must_read_as_their_type(staff_client, acme, value_type, value, message) -> None:
    response = staff_client.post(
        reverse("admin:charts_tenantfilterrule_add"),
        {"tenant": acme.pk, "param": "region", "value_type": value_type, "value": value, "chart": ""},
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not TenantFilterRule.objects.filter(param="region").exists()


@pytest.mark.parametrize(("value_type", "value", "stored"), [("integer", " 042 ", "42"), ("boolean", "Yes", "true"), ("float", "2.50", "2.5")])
def test_rule_values_are_stored_normalised(staff_client, acme, value_type, value, stored) -> None:
    response = staff_client.post(
        reverse("admin:charts_tenantfilterrule_add"),
        {"tenant": acme.pk, "param": "region", "value_type": value_type, "value": value, "chart": ""},
    )
    assert response.status_code == 302
    assert TenantFilterRule.objects.get(param="region").value == stored


def test_tenant_page_validates_rule_values_in_its_inline(staff_client, acme, alice) -> None:
    rule = TenantFilterRule.objects.get(tenant=acme)
    membership = Membership.objects.get(tenant=acme)
    data = {
        "name": "Acme", "slug": "acme", "is_active": "on", "rate_limit_rps": "",
        "memberships-TOTAL_FORMS": "1", "memberships-INITIAL_FORMS": "1",
        "memberships-MIN_NUM_FORMS": "0", "memberships-MAX_NUM_FORMS": "1000",
        "memberships-0-id": membership.pk, "memberships-0-tenant": acme.pk, "memberships-0-user": alice.pk,
        "memberships-0-role": "viewer", "memberships-0-is_active": "on",
        "filter_rules-TOTAL_FORMS": "1", "filter_rules-INITIAL_FORMS": "1",
        "filter_rules-MIN_NUM_FORMS": "0", "filter_rules-MAX_NUM_FORMS": "1000",
        "filter_rules-0-id": rule.pk, "filter_rules-0-tenant": acme.pk, "filter_rules-0-param": "company_id",
        "filter_rules-0-value_type": "integer", "filter_rules-0-value": "acme", "filter_rules-0-chart": "",
    }
    response = staff_client.post(reverse("admin:charts_tenant_change", args=[acme.pk]), data)
    assert response.status_code == 200
    assert "is not a whole number" in response.content.decode()
    data["filter_rules-0-value"] = "7"
    assert staff_client.post(reverse("admin:charts_tenant_change", args=[acme.pk]), data).status_code == 302
    rule.refresh_from_db()
    assert (rule.value_type, rule.value) == ("integer", "7")


# --- Fail-closed gaps ---------------------------------------------------------------------------------


@pytest.fixture
def gap(world, workspace, acme, globex):
    """A chart needing region on a dashboard Acme and Globex see; only Globex has a region rule."""
    chart = make_chart(workspace, "Regional sales", pipe_name="regional", tenant_params="company_id, region")
    board = Dashboard.objects.create(title="Regions", slug="regions", visible_to_all=True)
    DashboardChart.objects.create(dashboard=board, chart=chart)
    TenantFilterRule.objects.create(tenant=globex, param="region", value="eu")
    return chart


def test_chart_changelist_names_the_tenants_a_chart_is_not_configured_for(staff_client, gap) -> None:
    html = staff_client.get(reverse("admin:charts_chart_changelist")).content.decode()
    assert "not configured for" in html.lower()
    row = next(line for line in html.split("<tr") if "Regional sales" in line)
    assert "Acme (no rule for region)" in row
    assert "Globex" not in row


def test_chart_change_page_warns_of_its_gaps(staff_client, gap) -> None:
    response = staff_client.get(reverse("admin:charts_chart_change", args=[gap.pk]))
    messages = [str(m) for m in response.context["messages"]]
    assert any("fails closed for" in m and "Acme (no rule for region)" in m for m in messages)


def test_tenant_pages_name_the_charts_failing_closed_for_the_tenant(staff_client, gap, acme, globex) -> None:
    html = staff_client.get(reverse("admin:charts_tenant_changelist")).content.decode()
    acme_row = next(line for line in html.split("<tr") if ">Acme<" in line)
    globex_row = next(line for line in html.split("<tr") if ">Globex<" in line)
    assert "Regional sales (no rule for region)" in acme_row
    assert "Regional sales" not in globex_row
    response = staff_client.get(reverse("admin:charts_tenant_change", args=[acme.pk]))
    assert any("Regional sales (no rule for region)" in str(m) for m in response.context["messages"])
    response = staff_client.get(reverse("admin:charts_tenant_change", args=[globex.pk]))
    assert not any("fail closed" in str(m) for m in response.context["messages"])


def test_a_chart_specific_rule_closes_the_gap(staff_client, gap, acme) -> None:
    TenantFilterRule.objects.create(tenant=acme, param="region", value="us", chart=gap)
    response = staff_client.get(reverse("admin:charts_chart_change", args=[gap.pk]))
    assert not any("fails closed" in str(m) for m in response.context["messages"])


def test_a_staff_member_with_view_rights_only_cannot_change_charts(client, world) -> None:
    viewer = get_user_model().objects.create_user(username="viewer", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_chart"))
    client.force_login(viewer)
    assert client.get(reverse("admin:charts_chart_changelist")).status_code == 200
    assert client.get(reverse("admin:charts_chart_add")).status_code == 403
