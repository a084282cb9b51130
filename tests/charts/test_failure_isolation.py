"""One broken workspace never takes a dashboard down: a workspace whose key is missing, or whose
host the operator did not allow, fails only its own tiles, in Panes' words, on the dashboard page,
the embed and token.json; the other workspaces' charts get their tokens."""
from __future__ import annotations

import re
from html import unescape
from urllib.parse import unquote

import pytest
from django.conf import settings
from django.urls import reverse

from charts.models import TokenGrant, Workspace
from tests.charts.builders import KNOWN_KEY, decode, make_chart, make_dashboard
from tests.conftest import LOCAL_KEY_ENV

NO_KEY = "Charts of this workspace are not configured yet"
HOST_DOWN = "Chart host unavailable"
# A warm dashboard page, whatever its broken workspaces; token.json, which is not served from the
# session (a key set meanwhile must count). One fewer each when cached_db sessions come from the cache.
QUERIES_WARM = 6
QUERIES_TOKEN = 7


def _session_query() -> int:
    return 0 if settings.SESSION_ENGINE.endswith("cached_db") else 1


@pytest.fixture(autouse=True)
def keys(monkeypatch) -> None:
    monkeypatch.setenv(LOCAL_KEY_ENV, KNOWN_KEY)
    monkeypatch.delenv("TINYBIRD_ADMIN_TOKEN", raising=False)
    monkeypatch.delenv("TINYBIRD_ADMIN_TOKEN_FILE", raising=False)


@pytest.fixture
def board(workspace, acme, globex):
    keyless = Workspace.objects.create(
        name="Tinybird, key not set yet", workspace_id="w-keyless", api_host="https://api.tinybird.co",
        signing_key_env="TINYBIRD_ADMIN_TOKEN",
    )
    refused = Workspace.objects.create(
        name="Elsewhere", workspace_id="w-refused", api_host="http://127.0.0.1:9", signing_key_env="TINYBIRD_ADMIN_TOKEN"
    )
    Workspace.objects.filter(pk=refused.pk).update(api_host="http://127.0.0.1:9")
    charts = [
        make_chart(workspace, "Sales", "sales"),
        make_chart(keyless, "Tinybird orders", "tb_orders"),
        make_chart(workspace, "Revenue", "revenue"),
        make_chart(refused, "Far away", "far_away"),
    ]
    return make_dashboard("mixed", acme, globex, charts=charts)


def tiles(html: str) -> dict[str, str]:
    """Chart title -> the markup of its tile."""
    return {
        unescape(m.group(1)): m.group(0)
        for m in re.finditer(r'<section class="tile[^"]*"[^>]*aria-label="([^"]*)"[^>]*>.*?</section>', html, re.S)
        if m.group(1)  # not the empty placeholder in its <template>
    }


def frame_tokens(markup: str) -> list[str]:
    return [unquote(unescape(src).split("#token=", 1)[1]) for src in re.findall(r'<iframe[^>]*\ssrc="([^"]+)"', markup)]


@pytest.mark.parametrize("view", ["charts:dashboard", "charts:embed"])
def test_the_broken_workspaces_fail_only_their_own_tiles(alice_client, board, view) -> None:
    response = alice_client.get(reverse(view, args=["mixed"]))
    assert response.status_code == 200
    by_title = tiles(response.content.decode())
    assert set(by_title) == {"Sales", "Tinybird orders", "Revenue", "Far away"}
    assert NO_KEY in by_title["Tinybird orders"] and "<iframe" not in by_title["Tinybird orders"]
    assert HOST_DOWN in by_title["Far away"] and "<iframe" not in by_title["Far away"]
    for good in ("Sales", "Revenue"):
        [token] = frame_tokens(by_title[good])
        assert decode(token)["scopes"][0]["fixed_params"] == {"company_id": "acme"}
    assert "TINYBIRD_ADMIN_TOKEN" not in response.content.decode()  # for staff only
    assert TokenGrant.objects.get().workspace.api_host == ""


def test_staff_see_which_variable_or_host_to_fix(client, staff, acme, board) -> None:
    from charts.models import Membership

    Membership.objects.create(user=staff, tenant=acme)
    client.force_login(staff)
    by_title = tiles(client.get(reverse("charts:dashboard", args=["mixed"])).content.decode())
    assert "TINYBIRD_ADMIN_TOKEN" in by_title["Tinybird orders"]
    assert "127.0.0.1:9" in by_title["Far away"]


def test_token_json_answers_the_good_workspace_and_names_the_broken_charts(alice_client, board, workspace) -> None:
    response = alice_client.get(reverse("charts:dashboard_token", args=["mixed"]))
    assert response.status_code == 200
    body = response.json()
    assert list(body["workspaces"]) == [str(workspace.pk)]
    by_title = {tile.chart.title: str(tile.chart.pk) for tile in board.tiles.select_related("chart")}
    assert body["unavailable"] == {by_title["Tinybird orders"]: NO_KEY, by_title["Far away"]: HOST_DOWN}
    assert body["unconfigured"] == []


def test_a_page_with_broken_workspaces_costs_no_more_queries(alice_client, board, acme, workspace, django_assert_num_queries) -> None:
    good_only = make_dashboard("good", acme, charts=[t.chart for t in board.tiles.all() if t.chart.workspace_id == workspace.pk])
    alice_client.get(reverse("charts:dashboard", args=["good"]))  # session and grants warm
    alice_client.get(reverse("charts:dashboard", args=["mixed"]))
    with django_assert_num_queries(QUERIES_WARM - 1 + _session_query()):
        assert alice_client.get(reverse("charts:dashboard", args=[good_only.slug])).status_code == 200
    with django_assert_num_queries(QUERIES_WARM - 1 + _session_query()):
        assert alice_client.get(reverse("charts:dashboard", args=["mixed"])).status_code == 200
    with django_assert_num_queries(QUERIES_WARM - 1 + _session_query()):
        assert alice_client.get(reverse("charts:embed", args=["mixed"])).status_code == 200
    with django_assert_num_queries(QUERIES_TOKEN - 1 + _session_query()):
        assert alice_client.get(reverse("charts:dashboard_token", args=["mixed"])).status_code == 200

