"""The token endpoint serves a session's cached answer again until anything it depends on changes.

A cached answer hands out no token the session did not already hold; it gives way when the
configuration revision moves (rules, memberships, dashboards, charts), when a key is rotated, and
when its tokens near expiry.
"""
from __future__ import annotations

import time

import pytest
from django.conf import settings
from django.urls import reverse

from charts import grants, revisions
from charts.models import Membership, TenantFilterRule, TokenGrant
from tests.charts.builders import KNOWN_KEY, decode, make_chart, make_dashboard
from tests.conftest import LOCAL_KEY_ENV

URL = reverse("charts:dashboard_token", args=["sales"])


@pytest.fixture(autouse=True)
def known_key(monkeypatch) -> None:
    monkeypatch.setenv(LOCAL_KEY_ENV, KNOWN_KEY)


@pytest.fixture
def board(workspace, acme, globex):
    return make_dashboard("sales", acme, globex, charts=[make_chart(workspace, "Sales", "sales")])


def cached_session_queries() -> int:
    """Session, user, membership and revision; a cached_db session comes from the cache."""
    return 3 if settings.SESSION_ENGINE.endswith("cached_db") else 4


def test_a_repeat_request_is_served_from_the_session(alice_client, board, django_assert_num_queries) -> None:
    first = alice_client.get(URL).json()
    with django_assert_num_queries(cached_session_queries()):
        again = alice_client.get(URL).json()
    assert again["token"] == first["token"]
    assert {k: v for k, v in again.items() if k != "now"} == {k: v for k, v in first.items() if k != "now"}
    assert TokenGrant.objects.count() == 1


def test_a_rule_change_is_seen_at_the_next_request(alice_client, board, acme) -> None:
    alice_client.get(URL)
    TenantFilterRule.objects.filter(tenant=acme, param="company_id").update(value="acme-renamed")
    revisions.bump()  # QuerySet.update sends no signal
    claims = decode(alice_client.get(URL).json()["token"])
    assert claims["scopes"][0]["fixed_params"] == {"company_id": "acme-renamed"}


def test_a_rule_saved_through_the_model_bumps_the_revision(alice_client, board, acme) -> None:
    alice_client.get(URL)
    rule = TenantFilterRule.objects.get(tenant=acme, param="company_id")
    rule.value = "acme-2"
    rule.save()
    claims = decode(alice_client.get(URL).json()["token"])
    assert claims["scopes"][0]["fixed_params"] == {"company_id": "acme-2"}


def test_a_dashboard_taken_from_the_tenant_is_gone_at_the_next_request(alice_client, board, acme) -> None:
    assert alice_client.get(URL).status_code == 200
    board.tenants.remove(acme)
    assert alice_client.get(URL).status_code == 404


def test_an_ended_membership_gets_no_token(alice_client, alice, board) -> None:
    alice_client.get(URL)
    membership = Membership.objects.get(user=alice)
    membership.is_active = False
    membership.save()
    response = alice_client.get(URL)
    assert response.status_code == 403
    assert "token" not in response.json()


def test_a_rotated_key_gets_a_token_signed_with_the_new_key(alice_client, board, monkeypatch) -> None:
    old = alice_client.get(URL).json()["token"]
    new_key = KNOWN_KEY[::-1]
    monkeypatch.setenv(LOCAL_KEY_ENV, new_key)
    token = alice_client.get(URL).json()["token"]
    assert token != old
    assert decode(token, key=new_key)["scopes"]


def test_a_token_near_expiry_is_replaced(alice_client, board, settings) -> None:
    # A margin longer than the lifetime: every token is "near expiry" from birth.
    settings.PANES_TOKEN_REFRESH_MARGIN_SECONDS = settings.PANES_TOKEN_TTL_SECONDS + 1
    alice_client.get(URL)
    alice_client.get(URL)
    assert TokenGrant.objects.count() == 2


def test_signing_in_does_not_bump_the_revision(client, alice, board) -> None:
    before = revisions.current()
    assert client.login(username="alice", password="pw-alice")
    assert revisions.current() == before


def test_each_session_has_its_own_answers(client, alice, carol, board, django_user_model) -> None:
    client.force_login(alice)
    alice_token = client.get(URL).json()["token"]
    client.force_login(carol)
    carol_token = client.get(URL).json()["token"]
    assert decode(alice_token)["name"] != decode(carol_token)["name"]


# --- the session stays small --------------------------------------------------------------------


def session_size(client) -> int:
    """The session serialized as its store does, before compression (which would make the
    figure depend on how alike the tokens happen to be)."""
    store = client.session
    return len(store.serializer().dumps(dict(store.items())))


def test_one_chart_spelled_many_ways_keeps_one_answer(alice_client, board, django_assert_num_queries) -> None:
    sales = board.tiles.get().chart
    first = alice_client.get(f"/embed/chart/{sales.pk}/token.json").json()
    size = session_size(alice_client)
    for zeros in range(1, 60):
        assert alice_client.get(f"/embed/chart/{'0' * zeros}{sales.pk}/token.json").json()["token"] == first["token"]
    with django_assert_num_queries(cached_session_queries()):
        alice_client.get(f"/embed/chart/0000{sales.pk}/token.json")
    assert session_size(alice_client) == size
    assert len(alice_client.session[grants.ANSWERS_KEY]) == 1
    assert TokenGrant.objects.count() == 1


def test_many_dashboards_keep_the_session_bounded(alice_client, workspace, acme) -> None:
    sales = make_chart(workspace, "Sales", "sales")
    sizes = {}
    for n in range(1, 81):
        make_dashboard(f"board-{n:03d}", acme, charts=[sales])
        assert alice_client.get(reverse("charts:dashboard_token", args=[f"board-{n:03d}"])).status_code == 200
        sizes[n] = session_size(alice_client)
    assert sizes[80] <= sizes[40] * 1.05, sizes
    session = alice_client.session
    assert len(session[grants.ANSWERS_KEY]) < 40 and len(session[grants.SESSION_KEY]) < 40
    # The newest is kept and still served from the session.
    assert alice_client.get(reverse("charts:dashboard_token", args=["board-080"])).json()["token"]
    assert TokenGrant.objects.count() == 80


def test_answers_past_their_freshness_are_dropped_at_the_next_write(alice_client, board) -> None:
    session = alice_client.session
    stale = {"answer": {}, "revision": revisions.current(), "fresh_until": time.time() - 1, "keys": {}}
    session[grants.ANSWERS_KEY] = {"stale": stale}
    session.save()
    alice_client.get(URL)
    assert "stale" not in alice_client.session[grants.ANSWERS_KEY]

