"""/d/<slug>/token.json: fresh tokens for the refresh script, for the active tenant only."""
from __future__ import annotations

import time

import pytest
from django.urls import reverse

from charts.models import TokenGrant, Workspace
from tests.charts.builders import KNOWN_KEY, decode, make_chart, make_dashboard
from tests.conftest import LOCAL_KEY_ENV, REMOTE_KEY_ENV


@pytest.fixture(autouse=True)
def known_key(monkeypatch) -> None:
    monkeypatch.setenv(LOCAL_KEY_ENV, KNOWN_KEY)


@pytest.fixture
def board(workspace, acme, globex):
    sales = make_chart(workspace, "Sales", "sales")
    regional = make_chart(workspace, "Regional", "regional", tenant_params="company_id,region")
    return make_dashboard("sales", acme, globex, charts=[sales, regional])


def url(slug: str = "sales") -> str:
    return reverse("charts:dashboard_token", args=[slug])


def test_it_answers_tokens_expiry_and_the_charts_that_failed_closed(alice_client, board, workspace) -> None:
    response = alice_client.get(url())
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert "no-store" in response["Cache-Control"]
    body = response.json()
    regional = board.tiles.get(chart__pipe_name="regional").chart
    assert body["unconfigured"] == [regional.pk]
    assert set(body["workspaces"]) == {str(workspace.pk)}
    grant = body["workspaces"][str(workspace.pk)]
    assert grant["token"] == body["token"] and grant["expires_at"] == body["expires_at"]
    claims = decode(body["token"])
    assert body["expires_at"] == claims["exp"] and abs(claims["exp"] - 900 - time.time()) < 5
    assert claims["scopes"] == [{"type": "PIPES:READ", "resource": "sales", "fixed_params": {"company_id": "acme"}}]


def test_it_reuses_the_token_the_page_got(alice_client, board) -> None:
    html = alice_client.get(reverse("charts:dashboard", args=["sales"])).content.decode()
    token = alice_client.get(url()).json()["token"]
    assert token in html
    assert TokenGrant.objects.count() == 1


def test_one_token_per_workspace(alice_client, workspace, acme, monkeypatch) -> None:
    monkeypatch.setenv(REMOTE_KEY_ENV, KNOWN_KEY)
    other = Workspace.objects.create(name="Remote", workspace_id="ws-remote", api_host="https://api.tinybird.co", signing_key_env=REMOTE_KEY_ENV)
    make_dashboard("mixed", acme, charts=[make_chart(workspace, "A", "a"), make_chart(other, "B", "b")])
    body = alice_client.get(url("mixed")).json()
    assert set(body["workspaces"]) == {str(workspace.pk), str(other.pk)}
    ids = {decode(g["token"])["workspace_id"] for g in body["workspaces"].values()}
    assert ids == {workspace.workspace_id, "ws-remote"}


def test_alice_gets_acme_values_only(alice_client, board) -> None:
    claims = decode(alice_client.get(url()).json()["token"])
    assert claims["name"].startswith("panes:acme:")
    assert "globex" not in repr(claims)


def test_carols_token_follows_her_active_tenant(carol_client, board, globex) -> None:
    first = decode(carol_client.get(url()).json()["token"])
    assert first["name"].startswith("panes:acme:") and first["scopes"][0]["fixed_params"] == {"company_id": "acme"}
    carol_client.post(reverse("charts:switch_tenant"), {"tenant": globex.pk})
    second = decode(carol_client.get(url()).json()["token"])
    assert second["name"].startswith("panes:globex:")
    assert second["scopes"][0]["fixed_params"] == {"company_id": "globex"}
    assert "acme" not in repr(second)


def test_other_tenants_dashboards_are_a_json_404(bob_client, workspace, acme) -> None:
    make_dashboard("acme-only", acme, charts=[make_chart(workspace)])
    response = bob_client.get(url("acme-only"))
    assert response.status_code == 404
    assert "error" in response.json() and "token" not in response.json()
    assert TokenGrant.objects.count() == 0


def test_a_user_without_an_organisation_gets_403_and_no_token(client, django_user_model, board) -> None:
    client.force_login(django_user_model.objects.create_user("nomad"))
    response = client.get(url())
    assert response.status_code == 403
    assert set(response.json()) == {"error"}
    assert TokenGrant.objects.count() == 0


def test_anonymous_requests_are_sent_to_login(client, board) -> None:
    response = client.get(url())
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_a_short_key_leaves_its_workspace_out_and_never_shows_the_key(monkeypatch, alice_client, board) -> None:
    monkeypatch.setenv(LOCAL_KEY_ENV, "short")
    response = alice_client.get(url())
    assert response.status_code == 200
    body = response.json()
    assert body["workspaces"] == {} and body["token"] is None
    assert set(body["unavailable"].values()) == {"Charts of this workspace are not configured yet"}
    assert "short" not in response.content.decode() and LOCAL_KEY_ENV not in response.content.decode()


def test_only_get_is_allowed(alice_client, board) -> None:
    assert alice_client.post(url()).status_code == 405
