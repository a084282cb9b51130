"""A tenant-params value saved around the form (a shell, an old row) fails its chart closed; it
never turns the dashboard, the token refresh or the frame into a server error."""
from __future__ import annotations

import pytest

from charts.models import Chart, TokenGrant, Workspace
from tests.charts.builders import KNOWN_KEY, decode, make_chart, make_dashboard
from tests.conftest import LOCAL_KEY_ENV

pytestmark = pytest.mark.django_db


@pytest.fixture
def board(workspace, acme, monkeypatch):
    monkeypatch.setenv(LOCAL_KEY_ENV, KNOWN_KEY)
    good = make_chart(workspace, "Good", "good")
    bad = make_chart(workspace, "Bad", "bad")
    Chart.objects.filter(pk=bad.pk).update(tenant_params="company_id, 1bad")
    make_dashboard("board", acme, charts=[good, bad])
    return {"good": good, "bad": bad}


def test_the_chart_fails_closed_and_the_others_draw(board, alice_client) -> None:
    response = alice_client.get("/d/board/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Not configured for your organisation" in html
    [grant] = TokenGrant.objects.all()
    assert [scope["resource"] for scope in grant.payload["scopes"]] == ["good"]


def test_the_token_refresh_leaves_it_out(board, alice_client) -> None:
    body = alice_client.get("/d/board/token.json").json()
    assert body["unconfigured"] == [board["bad"].pk]
    assert [s["resource"] for s in decode(body["token"])["scopes"]] == ["good"]


def test_its_frame_answers(board, alice_client) -> None:
    assert alice_client.get(f"/frame/{board['bad'].pk}/").status_code < 500


def test_a_bad_workspace_default_fails_its_charts_closed_too(board, workspace, alice_client) -> None:
    Workspace.objects.filter(pk=workspace.pk).update(default_tenant_params="2bad")
    Chart.objects.filter(pk=board["good"].pk).update(tenant_params="")
    body = alice_client.get("/d/board/token.json").json()
    assert sorted(body["unconfigured"]) == sorted([board["good"].pk, board["bad"].pk])
