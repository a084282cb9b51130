"""Preview as tenant: a dashboard as one tenant sees it, with the payload its tokens would carry."""
from __future__ import annotations

import json
import re
from html import unescape

import jwt
import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.urls import reverse

from charts.models import Chart, Dashboard, DashboardChart, Tenant, TenantFilterRule, TokenGrant


@pytest.fixture
def board(workspace, acme, globex) -> Dashboard:
    sales = Chart.objects.create(
        workspace=workspace, title="Sales", pipe_name="sales", index_column="day", category_columns="total"
    )
    regional = Chart.objects.create(
        workspace=workspace, title="Regional", pipe_name="regional", tenant_params="company_id,region",
        index_column="day", category_columns="total",
    )
    dashboard = Dashboard.objects.create(title="Sales", slug="sales")
    dashboard.tenants.add(acme, globex)
    DashboardChart.objects.create(dashboard=dashboard, chart=sales, position=1)
    DashboardChart.objects.create(dashboard=dashboard, chart=regional, position=2)
    TenantFilterRule.objects.create(tenant=globex, param="region", value="eu")
    return dashboard


def preview_url(dashboard: Dashboard, tenant: Tenant | None = None) -> str:
    url = reverse("admin:charts_dashboard_preview", args=[dashboard.pk])
    return f"{url}?tenant={tenant.pk}" if tenant else url


def payloads_in(html: str) -> list[dict]:
    blocks = re.findall(r'<pre class="panes-preview-payload">(.*?)</pre>', html, re.S)
    return [json.loads(unescape(block)) for block in blocks]


def test_it_shows_the_payload_the_tenant_would_get(staff_client, board, acme) -> None:
    response = staff_client.get(preview_url(board, acme))
    assert response.status_code == 200
    html = response.content.decode()
    [payload] = payloads_in(html)
    assert payload["name"].startswith("panes:acme:")
    assert payload["workspace_id"] == "00000000-0000-4000-8000-00000000fa9e"
    assert payload["scopes"] == [{"type": "PIPES:READ", "resource": "sales", "fixed_params": {"company_id": "acme"}}]
    assert "Regional (pipe regional):" in html and "no rule for region" in html


def test_each_tenant_sees_its_own_fixed_params(staff_client, board, globex) -> None:
    [payload] = payloads_in(staff_client.get(preview_url(board, globex)).content.decode())
    assert payload["name"].startswith("panes:globex:")
    assert {s["resource"]: s["fixed_params"] for s in payload["scopes"]} == {
        "sales": {"company_id": "globex"},
        "regional": {"company_id": "globex", "region": "eu"},
    }


def test_it_says_when_the_tenant_does_not_see_the_dashboard(staff_client, board) -> None:
    other = Tenant.objects.create(name="Initech", slug="initech")
    html = staff_client.get(preview_url(board, other)).content.decode()
    assert "not visible to Initech" in html
    assert payloads_in(html) == []


def test_it_offers_a_choice_of_tenants_without_one(staff_client, board, acme, globex) -> None:
    html = staff_client.get(preview_url(board)).content.decode()
    assert f'<option value="{acme.pk}"' in html and f'<option value="{globex.pk}"' in html
    assert payloads_in(html) == []


def test_a_malformed_tenant_is_a_400_and_an_unknown_one_a_404(staff_client, board) -> None:
    assert staff_client.get(preview_url(board) + "?tenant=abc").status_code == 400
    assert staff_client.get(preview_url(board) + "?tenant=99999").status_code == 404
    assert staff_client.get(reverse("admin:charts_dashboard_preview", args=[99999])).status_code == 404


def test_staff_without_the_preview_permission_get_403(client, board, acme) -> None:
    clerk = get_user_model().objects.create_user(username="clerk", is_staff=True)
    clerk.user_permissions.add(Permission.objects.get(codename="view_dashboard"), Permission.objects.get(codename="change_dashboard"))
    client.force_login(clerk)
    assert client.get(preview_url(board, acme)).status_code == 403
    change = client.get(reverse("admin:charts_dashboard_change", args=[board.pk])).content.decode()
    assert "Preview as tenant" not in change


def test_staff_with_the_preview_permission_may_preview(client, board, acme) -> None:
    previewer = get_user_model().objects.create_user(username="previewer", is_staff=True)
    previewer.user_permissions.add(
        Permission.objects.get(codename="preview_dashboard"), Permission.objects.get(codename="view_dashboard")
    )
    client.force_login(previewer)
    assert client.get(preview_url(board, acme)).status_code == 200
    change = client.get(reverse("admin:charts_dashboard_change", args=[board.pk])).content.decode()
    assert preview_url(board) in change


def test_members_who_are_not_staff_are_sent_to_the_admin_login(alice_client, board, acme) -> None:
    response = alice_client.get(preview_url(board, acme))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_the_dashboard_change_page_links_to_the_preview(staff_client, board) -> None:
    html = staff_client.get(reverse("admin:charts_dashboard_change", args=[board.pk])).content.decode()
    assert preview_url(board) in html


def test_the_live_grid_shows_the_tiles_as_the_tenant_gets_them(staff_client, staff, board, acme) -> None:
    html = staff_client.get(preview_url(board, acme)).content.decode()
    assert 'data-state="ok" aria-label="Sales"' in html
    assert 'data-state="unconfigured" aria-label="Regional"' in html
    token = re.search(r'src="/[^"]*#token=([^"]+)"', html).group(1)
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["name"] == f"panes:acme:{staff.pk}"
    assert claims["scopes"] == payloads_in(html)[0]["scopes"]
    # The preview never refreshes tokens: the refresh endpoint would answer for the viewer's tenant.
    assert 'data-token-url=""' in html


def test_a_preview_token_is_audited_as_the_previewer_for_the_tenant(staff_client, staff, board, acme) -> None:
    staff_client.get(preview_url(board, acme))
    [grant] = TokenGrant.objects.all()
    assert (grant.user, grant.tenant, grant.dashboard) == (staff, acme, board)


def test_a_dashboard_for_one_tenant_previews_as_that_tenant_at_once(staff_client, board, acme, globex) -> None:
    assert payloads_in(staff_client.get(preview_url(board)).content.decode()) == []  # two tenants: choose
    board.tenants.remove(globex)
    [payload, *_] = payloads_in(staff_client.get(preview_url(board)).content.decode())
    assert payload["scopes"][0]["fixed_params"] == {"company_id": "acme"}
    board.visible_to_all = True
    board.save()
    assert payloads_in(staff_client.get(preview_url(board)).content.decode()) == []  # every tenant sees it


def test_a_new_tenant_form_offers_its_first_filter_rule_row(staff_client) -> None:
    add = staff_client.get(reverse("admin:charts_tenant_add")).content.decode()
    assert 'name="filter_rules-TOTAL_FORMS" value="1"' in add
    response = staff_client.post(
        reverse("admin:charts_tenant_add"),
        {"name": "Umbrella", "slug": "umbrella", "is_active": "on", "filter_rules-TOTAL_FORMS": "1",
         "filter_rules-INITIAL_FORMS": "0", "filter_rules-0-param": "", "filter_rules-0-value_type": "string",
         "filter_rules-0-value": "", "memberships-TOTAL_FORMS": "0", "memberships-INITIAL_FORMS": "0"},
    )
    assert response.status_code == 302, response.context and response.context.get("errors")
    umbrella = Tenant.objects.get(slug="umbrella")  # the row left blank is no rule
    assert not umbrella.filter_rules.exists()
