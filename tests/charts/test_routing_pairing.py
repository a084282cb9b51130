"""The built-in host's admin token, and every token it signs, go to the built-in host only.

A workspace row that pairs the built-in host's variable with any other API host (even one the
operator allowed, such as Tinybird's) would send Panes' own admin key to that host through
check_isolation, and viewers' tokens signed with it, which replay against Panes' own host.
"""
from __future__ import annotations

from datetime import datetime, timezone
from io import StringIO

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.core.management import CommandError, call_command
from django.test import RequestFactory

from charts import grants, routing
from charts.checks import check_signing_keys
from charts.models import TokenGrant, Workspace
from tests.charts.builders import KNOWN_KEY, make_chart, make_dashboard
from tests.conftest import LOCAL_KEY_ENV

TINYBIRD = "https://api.tinybird.co"


def test_the_built_in_variable_pairs_only_with_the_built_in_host() -> None:
    assert routing.pairing_problem("", LOCAL_KEY_ENV) is None
    assert routing.pairing_problem(TINYBIRD, "TINYBIRD_ADMIN_TOKEN") is None
    problem = routing.pairing_problem(TINYBIRD, LOCAL_KEY_ENV)
    assert problem and LOCAL_KEY_ENV in problem
    assert routing.route_problem(TINYBIRD, LOCAL_KEY_ENV) == problem
    assert routing.workspace_problems(TINYBIRD, LOCAL_KEY_ENV) == {"signing_key_env": problem}


@pytest.fixture
def paired_with_tinybird(workspace, acme, monkeypatch):
    monkeypatch.setenv(LOCAL_KEY_ENV, KNOWN_KEY)
    chart = make_chart(workspace, "Sales", "sales")
    board = make_dashboard("sales", acme, charts=[chart])
    Workspace.objects.filter(pk=workspace.pk).update(api_host=TINYBIRD)
    return board


@pytest.mark.django_db
def test_no_token_is_minted_for_the_built_in_key_on_another_host(paired_with_tinybird, alice, acme) -> None:
    request = RequestFactory().get("/")
    request.user, request.session = alice, SessionStore()
    charts = [tile.chart for tile in paired_with_tinybird.tiles.select_related("chart__workspace")]
    [page_token] = grants.page_tokens(
        request, tenant=acme, dashboard=paired_with_tinybird, charts=charts, now=datetime.now(timezone.utc)
    ).values()
    assert page_token.token is None and LOCAL_KEY_ENV in (page_token.error or "")
    assert not TokenGrant.objects.exists()


@pytest.mark.django_db
def test_the_dashboard_shows_the_host_unavailable_without_a_token(paired_with_tinybird, alice_client) -> None:
    html = alice_client.get("/d/sales/").content.decode()
    assert "Chart host unavailable" in html and "#token=" not in html


@pytest.mark.django_db
def test_e007_reports_the_pairing(paired_with_tinybird) -> None:
    ids = [m.id for m in check_signing_keys(databases=["default"])]
    assert "charts.E007" in ids


@pytest.mark.django_db
def test_the_admin_refuses_the_pairing(admin_client, workspace) -> None:
    response = admin_client.post(
        f"/admin/charts/workspace/{workspace.pk}/change/",
        {
            "name": workspace.name,
            "workspace_id": workspace.workspace_id,
            "api_host": TINYBIRD,
            "signing_key_env": LOCAL_KEY_ENV,
            "default_tenant_params": "company_id",
        },
    )
    assert response.status_code == 200
    assert LOCAL_KEY_ENV in response.context["adminform"].form.errors["signing_key_env"][0]
    workspace.refresh_from_db()
    assert workspace.api_host == ""


@pytest.mark.django_db
def test_check_isolation_sends_the_built_in_key_nowhere_else(paired_with_tinybird) -> None:
    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError):
        call_command("check_isolation", "--timeout", "1", stdout=out, stderr=err)
    assert LOCAL_KEY_ENV in out.getvalue() + err.getvalue()
