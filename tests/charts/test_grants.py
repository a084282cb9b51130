"""grants.py: one token per workspace per page, reused from the session, each mint audited once."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from django.test import RequestFactory

from charts import grants, tokens
from charts.models import Chart, TenantFilterRule, TokenGrant
from tests.charts.builders import KNOWN_KEY, decode, make_chart, make_dashboard
from tests.conftest import LOCAL_KEY_ENV, REMOTE_KEY_ENV

NOW = datetime.now(timezone.utc).replace(microsecond=0)


@pytest.fixture(autouse=True)
def known_key(monkeypatch) -> None:
    monkeypatch.setenv(LOCAL_KEY_ENV, KNOWN_KEY)


@pytest.fixture
def request_for(alice):
    def build(user=alice):
        request = RequestFactory().get("/")
        request.user = user
        request.session = SessionStore()
        return request

    return build


@pytest.fixture
def board(workspace, acme):
    sales = make_chart(workspace, "Sales", "sales")
    orders = make_chart(workspace, "Orders", "orders")
    return make_dashboard("sales", acme, charts=[sales, orders])


def charts_of(board) -> list:
    return [tile.chart for tile in board.tiles.select_related("chart__workspace")]


def mint(request, tenant, board, now=NOW) -> grants.PageToken:
    [page_token] = grants.page_tokens(request, tenant=tenant, dashboard=board, charts=charts_of(board), now=now).values()
    return page_token


def test_chart_specs_carry_the_filter_params_and_none_for_a_stored_value_that_no_longer_validates(workspace) -> None:
    good = make_chart(workspace, "Good", "good", filter_params="date_from, date_to")
    bad = make_chart(workspace, "Bad", "bad")
    Chart.objects.filter(pk=bad.pk).update(filter_params="date_from, not a name")
    specs = grants.chart_specs(Chart.objects.filter(pk__in=[good.pk, bad.pk]).order_by("title"))
    assert [(spec.key, spec.filter_params) for spec in specs] == [(bad.pk, ()), (good.pk, ("date_from", "date_to"))]


def test_each_mint_writes_exactly_one_grant_without_signature(request_for, acme, board) -> None:
    page_token = mint(request_for(), acme, board)
    [grant] = TokenGrant.objects.all()
    assert grant.payload == decode(page_token.token)
    assert "signature" not in repr(grant.payload) and page_token.token not in repr(grant.payload)
    assert KNOWN_KEY not in repr(grant.payload)
    assert grant.fingerprint == tokens.fingerprint(page_token.token)
    assert grant.tenant == acme and grant.dashboard == board
    assert grant.expires_at - grant.issued_at == timedelta(seconds=settings.PANES_TOKEN_TTL_SECONDS)


def test_a_second_call_in_the_same_session_reuses_the_token(request_for, acme, board) -> None:
    request = request_for()
    first = mint(request, acme, board)
    second = mint(request, acme, board, now=NOW + timedelta(seconds=60))
    assert second.token == first.token and second.reused
    assert TokenGrant.objects.count() == 1


def test_another_session_gets_its_own_token(request_for, acme, board) -> None:
    first = mint(request_for(), acme, board)
    second = mint(request_for(), acme, board, now=NOW + timedelta(seconds=1))
    assert second.token != first.token
    assert TokenGrant.objects.count() == 2


def test_a_rule_change_mints_a_new_token(request_for, acme, board) -> None:
    request = request_for()
    first = mint(request, acme, board)
    TenantFilterRule.objects.filter(tenant=acme, param="company_id").update(value="acme-2")
    second = mint(request, acme, board, now=NOW + timedelta(seconds=1))
    assert second.token != first.token and not second.reused
    assert decode(second.token)["scopes"][0]["fixed_params"] == {"company_id": "acme-2"}
    assert TokenGrant.objects.count() == 2


def test_a_token_near_expiry_is_replaced(request_for, acme, board) -> None:
    request = request_for()
    first = mint(request, acme, board)
    near = NOW + timedelta(seconds=settings.PANES_TOKEN_TTL_SECONDS - settings.PANES_TOKEN_REFRESH_MARGIN_SECONDS + 1)
    second = mint(request, acme, board, now=near)
    assert second.token != first.token and second.expires_at > first.expires_at
    assert TokenGrant.objects.count() == 2


def test_no_scope_means_no_token_and_no_grant(request_for, globex, workspace) -> None:
    chart = make_chart(workspace, "Regional", "regional", tenant_params="company_id,region")
    board = make_dashboard("regional", globex, charts=[chart])
    page_token = mint(request_for(), globex, board)
    assert page_token.token is None and page_token.unconfigured == {chart.pk: ("region",)}
    assert TokenGrant.objects.count() == 0


@pytest.mark.parametrize("value", [None, "too-short-key"])
def test_a_missing_or_short_key_is_an_error_that_never_shows_the_key(monkeypatch, request_for, acme, board, value) -> None:
    if value is None:
        monkeypatch.delenv(LOCAL_KEY_ENV)
    else:
        monkeypatch.setenv(LOCAL_KEY_ENV, value)
    page_token = mint(request_for(), acme, board)
    assert page_token.token is None
    assert LOCAL_KEY_ENV in page_token.error
    assert value is None or value not in page_token.error
    assert TokenGrant.objects.count() == 0


def test_the_session_keeps_a_bounded_number_of_page_tokens_and_drops_spent_ones(request_for, acme, board) -> None:
    request = request_for()
    live = {"token": "t", "exp": int(NOW.timestamp()) + 3600, "digest": "d", "key": "k", "payload": {}}
    spent = {**live, "exp": int(NOW.timestamp()) - 1}
    request.session[grants.SESSION_KEY] = {"spent": spent, **{f"old-{n}": live for n in range(100)}}
    page_token = mint(request, acme, board)
    cache = request.session[grants.SESSION_KEY]
    assert "spent" not in cache and "old-0" not in cache
    assert len(cache) < 100 and "old-99" in cache
    assert [entry["token"] for entry in cache.values()][-1] == page_token.token
    assert mint(request, acme, board, now=NOW + timedelta(seconds=1)).reused


def test_charts_on_two_workspaces_get_one_token_each(request_for, acme, workspace, monkeypatch) -> None:
    from charts.models import Workspace

    monkeypatch.setenv(REMOTE_KEY_ENV, KNOWN_KEY)
    other = Workspace.objects.create(name="Other", workspace_id="ws-other", api_host="https://api.tinybird.co", signing_key_env=REMOTE_KEY_ENV)
    board = make_dashboard("mixed", acme, charts=[make_chart(workspace, "A", "a"), make_chart(other, "B", "b")])
    result = grants.page_tokens(request_for(), tenant=acme, dashboard=board, charts=charts_of(board), now=NOW)
    assert set(result) == {workspace.pk, other.pk}
    assert {decode(pt.token)["workspace_id"] for pt in result.values()} == {workspace.workspace_id, "ws-other"}
    assert TokenGrant.objects.count() == 2
