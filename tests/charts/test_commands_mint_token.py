"""mint_token: prints the decoded payload and a token signed with the workspace key, audited once."""
from __future__ import annotations

import json
from io import StringIO

import jwt
import pytest
from django.core.management import CommandError, call_command

from charts.models import Chart, Dashboard, DashboardChart, Tenant, TokenGrant
from charts.tokens import fingerprint

KEY = "mint-token-test-key-0123456789abcdefghijkl"


@pytest.fixture
def board(workspace, acme, globex, monkeypatch) -> Dashboard:
    monkeypatch.setenv("PANES_LOCAL_ADMIN_TOKEN", KEY)
    sales = Chart.objects.create(workspace=workspace, title="Sales", pipe_name="sales", index_column="d", category_columns="t")
    regional = Chart.objects.create(
        workspace=workspace, title="Regional", pipe_name="regional", tenant_params="region", index_column="d", category_columns="t"
    )
    dashboard = Dashboard.objects.create(title="Sales", slug="sales")
    dashboard.tenants.add(acme, globex)
    DashboardChart.objects.create(dashboard=dashboard, chart=sales)
    DashboardChart.objects.create(dashboard=dashboard, chart=regional, position=1)
    return dashboard


def mint(*args: str) -> str:
    out = StringIO()
    call_command("mint_token", *args, stdout=out)
    return out.getvalue()


def parse_output(text: str) -> tuple[dict, str]:
    payload_text = text.split("Payload:\n", 1)[1].split("\n}\n", 1)[0] + "\n}"
    token = text.split("Token:\n", 1)[1].strip()
    return json.loads(payload_text), token


def test_it_prints_the_payload_and_a_token_that_carries_it(board, alice) -> None:
    output = mint("--user", "alice", "--dashboard", "sales")
    payload, token = parse_output(output)
    assert payload["name"] == f"panes:acme:{alice.pk}"
    assert payload["scopes"] == [{"type": "PIPES:READ", "resource": "sales", "fixed_params": {"company_id": "acme"}}]
    assert jwt.decode(token, KEY, algorithms=["HS256"]) == payload
    assert "Not configured for acme: Regional (no rule for region)" in output
    assert KEY not in output


def test_it_audits_exactly_one_grant_per_token(board, alice, acme) -> None:
    _, token = parse_output(mint("--user", "alice", "--dashboard", "sales"))
    [grant] = TokenGrant.objects.all()
    assert (grant.user, grant.tenant, grant.dashboard) == (alice, acme, board)
    assert grant.fingerprint == fingerprint(token)


def test_it_mints_for_the_tenant_asked_for(board, carol, globex) -> None:
    payload, _ = parse_output(mint("--user", "carol", "--dashboard", "sales", "--tenant", "globex"))
    assert payload["name"] == f"panes:globex:{carol.pk}"
    assert payload["scopes"][0]["fixed_params"] == {"company_id": "globex"}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--user", "nobody", "--dashboard", "sales"], "No user 'nobody'"),
        (["--user", "alice", "--dashboard", "nope"], "No dashboard 'nope'"),
        (["--user", "alice", "--dashboard", "sales", "--tenant", "nope"], "No tenant 'nope'"),
        (["--user", "alice", "--dashboard", "sales", "--tenant", "globex"], "not an active member of tenant 'globex'"),
        (["--user", "carol", "--dashboard", "sales"], "several tenants (acme, globex); pass --tenant"),
    ],
)
def test_it_refuses_unknown_or_unrelated_names(board, alice, carol, args, message) -> None:
    with pytest.raises(CommandError) as caught:
        mint(*args)
    assert message in str(caught.value)
    assert not TokenGrant.objects.exists()


def test_it_refuses_a_dashboard_the_tenant_does_not_see(board, bob, globex) -> None:
    board.tenants.remove(globex)
    with pytest.raises(CommandError, match="not visible to tenant 'globex'"):
        mint("--user", "bob", "--dashboard", "sales")


def test_it_refuses_a_user_with_no_membership(board, staff) -> None:
    with pytest.raises(CommandError, match="not an active member of any tenant"):
        mint("--user", "staff", "--dashboard", "sales")


@pytest.mark.parametrize("value", [None, "tiny-k3y-99"])
def test_it_names_the_missing_key_variable_but_never_the_key(board, alice, monkeypatch, value) -> None:
    if value is None:
        monkeypatch.delenv("PANES_LOCAL_ADMIN_TOKEN")
    else:
        monkeypatch.setenv("PANES_LOCAL_ADMIN_TOKEN", value)
    with pytest.raises(CommandError) as caught:
        mint("--user", "alice", "--dashboard", "sales")
    assert "PANES_LOCAL_ADMIN_TOKEN" in str(caught.value)
    assert (value or KEY) not in str(caught.value)
    assert not TokenGrant.objects.exists()


def test_it_mints_nothing_when_every_chart_fails_closed(workspace, alice, acme, monkeypatch) -> None:
    monkeypatch.setenv("PANES_LOCAL_ADMIN_TOKEN", KEY)
    chart = Chart.objects.create(workspace=workspace, title="R", pipe_name="r", tenant_params="region", index_column="d", category_columns="t")
    board = Dashboard.objects.create(title="Only R", slug="only-r", visible_to_all=True)
    DashboardChart.objects.create(dashboard=board, chart=chart)
    output = mint("--user", "alice", "--dashboard", "only-r")
    assert "No scopes: no token minted" in output and "Token:" not in output
    assert not TokenGrant.objects.exists()


def test_an_inactive_tenant_gets_no_token(board, alice, acme) -> None:
    Tenant.objects.filter(pk=acme.pk).update(is_active=False)
    with pytest.raises(CommandError, match="not an active member"):
        mint("--user", "alice", "--dashboard", "sales")
