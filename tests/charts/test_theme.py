"""Themes, embed switches and brand palettes: parsed from a short list, never echoed raw."""
from __future__ import annotations

import json
import re
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse

from charts import themes
from charts.models import Tenant
from tests.charts.builders import KNOWN_KEY, make_chart, make_dashboard
from tests.conftest import LOCAL_KEY_ENV


@pytest.fixture(autouse=True)
def known_key(monkeypatch) -> None:
    monkeypatch.setenv(LOCAL_KEY_ENV, KNOWN_KEY)


@pytest.fixture
def board(workspace, acme):
    return make_dashboard("sales", acme, charts=[make_chart(workspace, "Sales", "sales")])


def body_class(html: str) -> list[str]:
    return re.search(r'<body class="([^"]*)"', html).group(1).split()


def frame_query(html: str) -> dict:
    src = unescape(re.search(r'<iframe class="tile__frame" src="([^"]+)"', html).group(1))
    return parse_qs(urlsplit(src).query)


@pytest.mark.parametrize(
    ("given", "expected"), [("dark", "dark"), ("AUTO", "auto"), ("light", "light"), ("", "light"), ("x<script>", "light")]
)
def test_only_known_themes_are_taken(given: str, expected: str) -> None:
    assert themes.theme_from(given) == expected


@pytest.mark.parametrize(("given", "expected"), [("0", False), ("false", False), ("off", False), ("1", True), ("", True), ("maybe", True)])
def test_switches_are_on_unless_turned_off(given: str, expected: bool) -> None:
    assert themes.switch_from(given) is expected


def test_a_palette_keeps_plain_colours_and_drops_anything_else() -> None:
    text = "#0F766E, rgb(1, 2, 3), teal, red;background:url(x), hsl(10deg 50% 50%), </style>, #12"
    assert themes.palette(Tenant(brand_colors=text).brand_colors) == ["#0F766E", "rgb(1, 2, 3)", "teal", "hsl(10deg 50% 50%)"]
    assert themes.palette(Tenant(brand_colors="").brand_colors) == []


def test_the_dashboard_is_light_by_default_and_follows_the_cookie(alice_client, board) -> None:
    url = reverse("charts:dashboard", args=["sales"])
    html = alice_client.get(url).content.decode()
    assert "theme-light" in body_class(html)
    assert frame_query(html) == {}  # frames default to light: a bare address
    assert re.search(r'value="light" checked', html)
    alice_client.cookies[themes.THEME_COOKIE] = "dark"
    html = alice_client.get(url).content.decode()
    assert "theme-dark" in body_class(html)
    assert frame_query(html) == {"theme": ["dark"]}
    alice_client.cookies[themes.THEME_COOKIE] = "purple"
    assert "theme-light" in body_class(alice_client.get(url).content.decode())


def test_the_dashboard_list_follows_the_cookie(alice_client, board) -> None:
    alice_client.cookies[themes.THEME_COOKIE] = "auto"
    assert "theme-auto" in body_class(alice_client.get(reverse("charts:dashboard_list")).content.decode())


def test_the_embed_takes_theme_and_switches_from_its_address(alice_client, board) -> None:
    url = reverse("charts:embed", args=["sales"]) + "?theme=dark&bordered=0&titled=false&autosize=1"
    html = alice_client.get(url).content.decode()
    assert {"embed", "theme-dark", "embed--borderless", "embed--untitled", "embed--autosize"} <= set(body_class(html))
    assert frame_query(html) == {"theme": ["dark"], "titled": ["0"]}
    plain = alice_client.get(reverse("charts:embed", args=["sales"])).content.decode()
    assert set(body_class(plain)) == {"embed", "theme-light"}
    assert 'data-panes-controls' not in plain
    assert "data-panes-controls" in alice_client.get(reverse("charts:embed", args=["sales"]) + "?controls=1").content.decode()


def test_the_frame_takes_theme_and_title_switch_from_its_address(alice_client, board) -> None:
    chart = board.tiles.get().chart
    html = alice_client.get(reverse("charts:frame", args=[chart.pk]) + "?theme=auto&titled=0").content.decode()
    assert {"frame", "theme-auto", "frame--untitled"} <= set(body_class(html))
    assert 'data-theme="auto"' in html
    # Untitled only hides the heading visually: the chart keeps its accessible name.
    assert 'role="img" aria-label="Sales: loading"' in html


def frame_config(client, chart) -> dict:
    html = client.get(reverse("charts:frame", args=[chart.pk])).content.decode()
    return json.loads(unescape(re.search(r'id="panes-chart-config" type="application/json">(.*?)</script>', html, re.S).group(1)))


def test_the_frame_carries_the_tenants_brand_palette(alice_client, board, acme) -> None:
    chart = board.tiles.get().chart
    assert frame_config(alice_client, chart)["palette"] == []
    Tenant.objects.filter(pk=acme.pk).update(brand_colors="#0f766e, #0ea5e9, url(evil)")
    assert frame_config(alice_client, chart)["palette"] == ["#0f766e", "#0ea5e9"]


def test_a_palette_is_that_of_the_viewers_own_tenant(bob_client, board, workspace, globex, acme) -> None:
    Tenant.objects.filter(pk=acme.pk).update(brand_colors="#111111")
    Tenant.objects.filter(pk=globex.pk).update(brand_colors="#222222")
    board.tenants.add(globex)
    assert frame_config(bob_client, board.tiles.get().chart)["palette"] == ["#222222"]


def test_the_embeds_own_controls_keep_its_switches_when_submitted_without_javascript(alice_client, board) -> None:
    url = reverse("charts:embed", args=["sales"]) + "?controls=1&bordered=0&titled=0&autosize=1"
    html = alice_client.get(url).content.decode()
    hidden = dict(re.findall(r'<input type="hidden" name="(\w+)" value="(\w+)">', html))
    assert hidden == {"controls": "1", "bordered": "0", "titled": "0", "autosize": "1"}
    dashboard = alice_client.get(reverse("charts:dashboard", args=["sales"])).content.decode()
    assert 'type="hidden" name="controls"' not in dashboard
