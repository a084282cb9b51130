"""/embed/<slug>/: the same grid without chrome, and the only page other origins may frame."""
from __future__ import annotations

import re
from html import unescape
from urllib.parse import quote

import pytest
from django.test import Client, override_settings
from django.urls import reverse

from tests.charts.builders import KNOWN_KEY, make_chart, make_dashboard
from tests.conftest import LOCAL_KEY_ENV

INTRANET = "https://intranet.example.com"


@pytest.fixture(autouse=True)
def known_key(monkeypatch) -> None:
    monkeypatch.setenv(LOCAL_KEY_ENV, KNOWN_KEY)


@pytest.fixture
def board(workspace, acme):
    return make_dashboard("sales", acme, charts=[make_chart(workspace)])


def embed_url(slug: str = "sales") -> str:
    return reverse("charts:embed", args=[slug])


def test_it_renders_the_grid_without_site_chrome(alice_client, board) -> None:
    response = alice_client.get(embed_url())
    html = response.content.decode()
    assert response.status_code == 200
    assert "data-panes-grid" in html and "<iframe" in html
    assert 'class="topbar"' not in html and "Log out" not in html


@override_settings(PANES_EMBED_ALLOWED_ORIGINS=[INTRANET])
def test_the_allowed_origins_may_frame_the_embed_view(alice_client, board) -> None:
    response = alice_client.get(embed_url())
    assert response["Content-Security-Policy"].split("; ")[-1] == f"frame-ancestors 'self' {INTRANET}"
    assert "X-Frame-Options" not in response


@override_settings(PANES_EMBED_ALLOWED_ORIGINS=[INTRANET])
def test_every_other_page_forbids_framing(alice_client, board) -> None:
    for url in (reverse("charts:dashboard_list"), reverse("charts:dashboard", args=["sales"]), reverse("charts:dashboard_token", args=["sales"]), reverse("login")):
        response = alice_client.get(url)
        assert response["Content-Security-Policy"].split("; ")[-1] == "frame-ancestors 'none'", url
        assert response["X-Frame-Options"] == "DENY", url


@override_settings(PANES_EMBED_ALLOWED_ORIGINS=[])
def test_without_allowed_origins_only_panes_frames_the_embed_view(alice_client, board) -> None:
    assert alice_client.get(embed_url())["Content-Security-Policy"].split("; ")[-1] == "frame-ancestors 'self'"


@override_settings(PANES_EMBED_ALLOWED_ORIGINS=[INTRANET, "https://evil.example; script-src *"])
def test_a_malformed_origin_cannot_inject_a_directive(alice_client, board) -> None:
    policy = alice_client.get(embed_url())["Content-Security-Policy"]
    assert policy.split("; ")[-1] == f"frame-ancestors 'self' {INTRANET}"
    assert "evil" not in policy and "script-src *" not in policy


def test_other_tenants_dashboards_are_404(bob_client, board) -> None:
    assert bob_client.get(embed_url()).status_code == 404


@override_settings(PANES_EMBED_ALLOWED_ORIGINS=[INTRANET])
def test_anonymous_visitors_get_a_frameable_link_that_signs_in_in_a_new_window(client, board) -> None:
    response = client.get(embed_url())
    assert response.status_code == 200
    assert response["Content-Security-Policy"].split("; ")[-1] == f"frame-ancestors 'self' {INTRANET}"
    assert "X-Frame-Options" not in response
    [link] = re.findall(r"<a [^>]*>Sign in to Panes</a>", response.content.decode())
    assert 'target="_blank"' in link and 'rel="noopener"' in link
    href = unescape(re.search(r'href="([^"]+)"', link).group(1))
    assert href == reverse("login") + "?next=" + quote(reverse("charts:dashboard", args=["sales"]), safe="")


def test_anonymous_visitors_to_a_chart_embed_get_the_link_too(client, board) -> None:
    chart = board.tiles.first().chart
    response = client.get(reverse("charts:chart_embed", args=[chart.pk]))
    assert response.status_code == 200 and "Sign in to Panes" in response.content.decode()
    assert "<iframe" not in response.content.decode()


def test_a_missing_key_fails_only_the_tiles_inside_the_embed_too(monkeypatch, alice_client, board) -> None:
    monkeypatch.delenv(LOCAL_KEY_ENV)
    response = alice_client.get(embed_url())
    assert response.status_code == 200
    assert "Charts of this workspace are not configured yet" in response.content.decode()


@override_settings(PANES_EMBED_ALLOWED_ORIGINS=[INTRANET])
def test_the_sign_in_page_itself_and_a_404_are_framed_by_nobody(alice_client, board) -> None:
    for response in (Client().get(reverse("login")), alice_client.get(embed_url("no-such-board"))):
        assert response.status_code in (200, 404)
        assert response["Content-Security-Policy"].split("; ")[-1] == "frame-ancestors 'none'"
        assert response["X-Frame-Options"] == "DENY"


@override_settings(PANES_EMBED_ALLOWED_ORIGINS=[INTRANET])
def test_the_embeds_token_refresh_is_data_that_nobody_frames(alice_client, workspace, acme) -> None:
    chart = make_chart(workspace)
    make_dashboard("solo", acme, charts=[chart])
    policy = alice_client.get(reverse("charts:chart_embed_token", args=[chart.pk]))["Content-Security-Policy"]
    assert "default-src 'none'" in policy.split("; ")
    assert policy.split("; ")[-1] == "frame-ancestors 'none'"
