"""No page, JSON answer, log line, command output or database row ever contains a signing key.

The demo is loaded (both apps), the built-in host's admin token is set to a known value, and every
kind of page and answer Panes produces is fetched while every log record is captured.
"""
from __future__ import annotations

import io
import json
import logging

import pytest
from django.core import serializers
from django.core.management import call_command
from django.test import Client

from charts.models import Chart, Dashboard, Tenant, TokenGrant, Workspace

KEY = "s3cret-admin-token-that-must-never-leak-0123456789"
SHORT_KEY = "tiny-s3cret-key"
pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(monkeypatch, settings):
    monkeypatch.setenv(settings.PIPES_ADMIN_TOKEN_ENV, KEY)
    call_command("demo", rows=500, stdout=io.StringIO())


def signed_in(username: str) -> Client:
    client = Client()
    assert client.login(username=username, password="panes-demo")
    return client


def pages_of_alice() -> list[bytes]:
    alice = signed_in("alice")
    chart = Chart.objects.get(title="Orders")
    bodies = []
    for path in ("/", "/d/sales-overview/", "/embed/sales-overview/", f"/frame/{chart.pk}/", "/my/", "/healthz"):
        response = alice.get(path)
        assert response.status_code == 200, path  # a walk of redirects and 404s would prove nothing
        bodies.append(response.content)
    token_answer = alice.get("/d/sales-overview/token.json")
    bodies.append(token_answer.content)
    token = token_answer.json()["token"]
    api = Client()
    for path, headers in (
        ("/v0/pipes/kpi_totals.json", {"HTTP_AUTHORIZATION": f"Bearer {token}"}),
        ("/v0/pipes/kpi_totals.csv", {"HTTP_AUTHORIZATION": f"Bearer {token}"}),
        ("/v0/pipes/kpi_totals.json?company_id=globex", {"HTTP_AUTHORIZATION": f"Bearer {token}"}),
        ("/v0/pipes/kpi_totals.json", {"HTTP_AUTHORIZATION": "Bearer " + token[:-4] + "AAAA"}),
        ("/v0/pipes", {"HTTP_AUTHORIZATION": f"Bearer {token}"}),
        ("/v0/pipes/nope.json", {}),
    ):
        bodies.append(api.get(path, **headers).content)
    return bodies


def pages_of_admin() -> list[bytes]:
    admin = signed_in("admin")
    workspace = Workspace.objects.get()
    grant = TokenGrant.objects.first()
    board = Dashboard.objects.get(slug="sales-overview")
    acme = Tenant.objects.get(slug="acme")
    paths = [
        "/admin/",
        "/admin/charts/workspace/",
        f"/admin/charts/workspace/{workspace.pk}/change/",
        "/admin/charts/tokengrant/",
        f"/admin/charts/dashboard/{board.pk}/preview/?tenant={acme.pk}",
    ]
    if grant:
        paths.append(f"/admin/charts/tokengrant/{grant.pk}/change/")
    responses = {path: admin.get(path) for path in paths}
    assert {path: r.status_code for path, r in responses.items()} == dict.fromkeys(paths, 200)
    return [r.content for r in responses.values()]


def command_output(*args: str) -> str:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command(*args, stdout=out, stderr=err)
    except SystemExit:
        pass
    except Exception as exc:  # a CommandError's message is output too
        err.write(str(exc))
    return out.getvalue() + err.getvalue()


def database_dump() -> str:
    objects = [*Workspace.objects.all(), *TokenGrant.objects.all(), *Chart.objects.all()]
    return serializers.serialize("json", objects)


def test_no_page_answer_log_or_row_contains_the_signing_key(demo, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    bodies = pages_of_alice() + pages_of_admin()
    outputs = [
        command_output("mint_token", "--user", "alice", "--dashboard", "sales-overview"),
        command_output("check_isolation"),
    ]
    assert TokenGrant.objects.exists(), "nothing was minted: the walk did not exercise signing"
    assert any(b"eyJ" in body for body in bodies), "no token was served: the walk proves nothing"
    for body in bodies:
        assert KEY.encode() not in body
    for output in outputs:
        assert KEY not in output
    assert KEY not in caplog.text
    assert KEY not in database_dump()
    assert KEY not in json.dumps([g.payload for g in TokenGrant.objects.all()])


def test_a_short_key_is_refused_without_being_shown(demo, monkeypatch, settings, caplog) -> None:
    monkeypatch.setenv(settings.PIPES_ADMIN_TOKEN_ENV, SHORT_KEY)
    caplog.set_level(logging.DEBUG)
    alice = signed_in("alice")
    page = alice.get("/d/sales-overview/")
    answer = alice.get("/d/sales-overview/token.json")
    admin_page = signed_in("admin").get(f"/admin/charts/workspace/{Workspace.objects.get().pk}/change/")
    api = Client().get("/v0/pipes/kpi_totals.json", HTTP_AUTHORIZATION=f"Bearer {SHORT_KEY}")
    assert (page.status_code, answer.status_code, api.status_code) == (200, 200, 503)
    assert answer.json()["workspaces"] == {}
    for body in (page.content, answer.content, admin_page.content, api.content):
        assert SHORT_KEY.encode() not in body
    assert SHORT_KEY not in caplog.text
    assert SHORT_KEY not in command_output("mint_token", "--user", "alice", "--dashboard", "sales-overview")
