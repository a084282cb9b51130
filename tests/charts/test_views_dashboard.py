"""The dashboard page: tiles with tokens placed server-side, failing closed, never leaking a key."""
from __future__ import annotations

import re
from html import unescape
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from charts.models import TenantFilterRule, TokenGrant
from tests.charts.builders import KNOWN_KEY, decode, make_chart, make_dashboard, make_tinybird_chart
from tests.conftest import LOCAL_KEY_ENV


@pytest.fixture(autouse=True)
def known_key(monkeypatch) -> None:
    monkeypatch.setenv(LOCAL_KEY_ENV, KNOWN_KEY)


@pytest.fixture
def board(workspace, acme, globex):
    sales = make_chart(workspace, "Sales", "sales")
    regional = make_chart(workspace, "Regional", "regional", tenant_params="company_id,region")
    return make_dashboard("sales", acme, globex, charts=[sales, regional])


def url(slug: str = "sales") -> str:
    return reverse("charts:dashboard", args=[slug])


def iframe_srcs(html: str) -> list[str]:
    return [unescape(src) for src in re.findall(r'<iframe[^>]*\ssrc="([^"]+)"', html)]


def frame_token(src: str) -> str:
    return unquote(urlsplit(src).fragment.removeprefix("token="))


def test_it_renders_the_tiles_with_tokens_in_the_frame_fragment(alice_client, board) -> None:
    response = alice_client.get(url())
    assert response.status_code == 200
    sales = board.tiles.get(chart__pipe_name="sales").chart
    [src] = iframe_srcs(response.content.decode())
    parts = urlsplit(src)
    assert parts.path == reverse("charts:frame", args=[sales.pk])
    assert parts.query == ""  # never in the query string: that would reach logs and referrers
    claims = decode(frame_token(src))
    assert claims["scopes"] == [{"type": "PIPES:READ", "resource": "sales", "fixed_params": {"company_id": "acme"}}]
    assert "no-store" in response["Cache-Control"]


def test_a_chart_the_tenant_has_no_rule_for_says_so_and_gets_no_iframe(alice_client, board) -> None:
    html = alice_client.get(url()).content.decode()
    regional = board.tiles.get(chart__pipe_name="regional").chart
    tile = re.search(rf'<section[^>]*data-chart="{regional.pk}"[^>]*>(.*?)</section>', html, re.S)
    assert 'data-state="unconfigured"' in tile.group(0)
    assert "Not configured for your organisation" in tile.group(1)
    assert "<iframe" not in tile.group(1)
    assert reverse("charts:frame", args=[regional.pk]) not in html


def test_the_refresh_script_gets_the_same_unconfigured_tile_as_the_server_draws(alice_client, board) -> None:
    html = alice_client.get(url()).content.decode()
    regional = board.tiles.get(chart__pipe_name="regional").chart
    served = re.search(rf'<section[^>]*data-chart="{regional.pk}".*?</section>', html, re.S).group(0)
    [template] = re.findall(r"<template data-panes-placeholder>\s*(.*?)\s*</template>", html, re.S)
    # dashboard.js fills in the chart's id, its title and its size.
    of_no_chart = served.replace(f'data-chart="{regional.pk}"', 'data-chart=""').replace("Regional", "").replace("--span: 6;", "--span: 12;")
    assert template == of_no_chart


def test_a_tenant_with_the_rule_gets_the_chart(bob_client, board, globex) -> None:
    TenantFilterRule.objects.create(tenant=globex, param="region", value="eu")
    srcs = iframe_srcs(bob_client.get(url()).content.decode())
    assert len(srcs) == 2
    [claims] = {frame_token(src): decode(frame_token(src)) for src in srcs}.values()
    assert {s["resource"]: s["fixed_params"] for s in claims["scopes"]} == {
        "sales": {"company_id": "globex"},
        "regional": {"company_id": "globex", "region": "eu"},
    }


def test_tinybird_charts_carry_the_token_in_their_url_and_send_no_referrer(alice_client, workspace, acme) -> None:
    chart = make_tinybird_chart(workspace)
    make_dashboard("tb", acme, charts=[chart])
    html = alice_client.get(url("tb")).content.decode()
    [tag] = re.findall(r"<iframe[^>]*>", html)
    assert 'referrerpolicy="no-referrer"' in tag
    [src] = iframe_srcs(html)
    assert src.startswith(f"https://app.tinybird.co/gcp/europe-west3/endpoints/tb_sales/charts/{chart.embed_chart_uuid}?token=")
    token = parse_qs(urlsplit(src).query)["token"][0]
    assert decode(token)["scopes"][0]["resource"] == "tb_sales"


def test_staff_see_which_rule_is_missing(client, board, staff, acme) -> None:
    from charts.models import Membership

    Membership.objects.create(user=staff, tenant=acme)
    client.force_login(staff)
    assert "No filter rule for region." in client.get(url()).content.decode()


def test_other_tenants_dashboards_are_404(bob_client, workspace, acme) -> None:
    make_dashboard("acme-only", acme, charts=[make_chart(workspace)])
    assert bob_client.get(url("acme-only")).status_code == 404
    assert bob_client.get(url("no-such-board")).status_code == 404
    assert TokenGrant.objects.count() == 0


def test_a_second_load_reuses_the_session_token(alice_client, board) -> None:
    first = iframe_srcs(alice_client.get(url()).content.decode())
    second = iframe_srcs(alice_client.get(url()).content.decode())
    assert first == second
    assert TokenGrant.objects.count() == 1


def test_a_rule_change_mints_a_new_token_on_the_next_load(alice_client, board, acme) -> None:
    [first] = iframe_srcs(alice_client.get(url()).content.decode())
    TenantFilterRule.objects.filter(tenant=acme).update(value="acme-renamed")
    [second] = iframe_srcs(alice_client.get(url()).content.decode())
    assert decode(frame_token(second))["scopes"][0]["fixed_params"] == {"company_id": "acme-renamed"}
    assert first != second and TokenGrant.objects.count() == 2


def test_each_grant_matches_the_token_on_the_page(alice_client, board) -> None:
    from charts.tokens import fingerprint

    [src] = iframe_srcs(alice_client.get(url()).content.decode())
    [grant] = TokenGrant.objects.all()
    assert grant.fingerprint == fingerprint(frame_token(src))
    assert grant.payload == decode(frame_token(src))


@pytest.mark.parametrize("value", [None, "short"])
def test_a_missing_or_short_key_fails_only_its_tiles_in_panes_words(monkeypatch, alice_client, board, value) -> None:
    if value is None:
        monkeypatch.delenv(LOCAL_KEY_ENV)
    else:
        monkeypatch.setenv(LOCAL_KEY_ENV, value)
    response = alice_client.get(url())
    assert response.status_code == 200
    html = response.content.decode()
    sales = board.tiles.get(chart__pipe_name="sales").chart
    tile = re.search(rf'<section[^>]*data-chart="{sales.pk}"[^>]*>(.*?)</section>', html, re.S)
    assert 'data-state="unavailable"' in tile.group(0)
    assert "Charts of this workspace are not configured yet" in tile.group(1)
    assert LOCAL_KEY_ENV not in html  # the variable name is for staff only
    assert "Traceback" not in html and "<iframe" not in html
    assert TokenGrant.objects.count() == 0


def test_staff_are_told_which_variable_to_set(monkeypatch, client, staff, acme, board) -> None:
    from charts.models import Membership

    Membership.objects.create(user=staff, tenant=acme)
    monkeypatch.delenv(LOCAL_KEY_ENV)
    client.force_login(staff)
    response = client.get(url())
    assert response.status_code == 200
    assert LOCAL_KEY_ENV in response.content.decode()


def test_the_key_never_appears_in_any_response(alice_client, board) -> None:
    sales = board.tiles.get(chart__pipe_name="sales").chart
    pages = [
        reverse("charts:dashboard_list"),
        url(),
        reverse("charts:embed", args=["sales"]),
        reverse("charts:dashboard_token", args=["sales"]),
        reverse("charts:frame", args=[sales.pk]),
    ]
    for page in pages:
        response = alice_client.get(page)
        assert response.status_code == 200, page
        assert KNOWN_KEY not in response.content.decode(), page
        assert KNOWN_KEY not in str(response.headers), page


def test_a_user_without_an_organisation_gets_the_clear_page_and_no_token(client, django_user_model, board) -> None:
    client.force_login(django_user_model.objects.create_user("nomad"))
    response = client.get(url())
    assert response.status_code == 403
    assert "You are not a member of any active organisation" in response.content.decode()
    assert TokenGrant.objects.count() == 0


def _queries(client, path: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(path).status_code == 200
    return len(captured)


def test_the_number_of_queries_does_not_grow_with_the_charts(alice_client, workspace, acme, django_assert_num_queries) -> None:
    make_dashboard("one", acme, charts=[make_chart(workspace, "C0", "pipe_0")])
    make_dashboard("many", acme, charts=[make_chart(workspace, f"C{i}", f"pipe_{i}") for i in range(30)])
    TenantFilterRule.objects.create(tenant=acme, param="region", value="eu", chart=make_chart(workspace, "X", "x"))

    first_load_one = _queries(alice_client, url("one"))
    first_load_many = _queries(alice_client, url("many"))
    assert first_load_one == first_load_many
    assert TokenGrant.objects.count() == 2

    warm = _queries(alice_client, url("one"))
    with django_assert_num_queries(warm):
        alice_client.get(url("many"))
    assert warm < first_load_one  # nothing minted, nothing saved
    assert TokenGrant.objects.count() == 2
