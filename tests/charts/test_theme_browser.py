"""Themes in a real browser: the picker switches page and charts live and is remembered, auto
follows the system setting as it changes, and charts without colours take the brand palette."""
from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from charts.models import Membership, Tenant, TenantFilterRule, Workspace
from tests.charts.builders import KNOWN_KEY, make_chart, make_dashboard
from tests.charts.live_site import Host, browser_for, chromium_available, frame_titled as frame
from tests.conftest import LOCAL_KEY_ENV

pytestmark = [pytest.mark.browser, pytest.mark.skipif(not chromium_available(), reason="needs Debian's chromium")]

BRAND = ["#0f766e", "#0ea5e9"]


@pytest.fixture
def world(live_server, transactional_db, monkeypatch):
    monkeypatch.setenv(LOCAL_KEY_ENV, KNOWN_KEY)
    workspace = Workspace.objects.create(name="Built-in", workspace_id="ws", signing_key_env=LOCAL_KEY_ENV)
    acme = Tenant.objects.create(name="Acme", slug="acme", brand_colors=",".join(BRAND))
    TenantFilterRule.objects.create(tenant=acme, param="company_id", value="acme")
    alice = get_user_model().objects.create_user("alice", password="pw")
    Membership.objects.create(user=alice, tenant=acme)
    plain = make_chart(workspace, "Plain", "sales_by_city", chart_type="bar", index_column="city", category_columns="revenue")
    own = make_chart(workspace, "Own colours", "sales_by_city", chart_type="bar", index_column="city", category_columns="revenue",
                     colors="#123456")
    make_dashboard("sales", acme, charts=[plain, own])
    with browser_for(live_server, alice) as context:
        page = context.new_page()
        page.route("**/v0/pipes/*", Host())
        yield {"page": page, "url": live_server.url, "context": context}




def open_board(world, path: str = "/d/sales/"):
    page = world["page"]
    page.goto(world["url"] + path)
    for title in ("Plain", "Own colours"):
        frame(page, title).wait_for_function("() => document.body.dataset.state === 'ready'")
    return page


def axis_colour(chart_frame) -> str:
    return chart_frame.evaluate(
        "window.echarts.getInstanceByDom(document.getElementById('panes-chart')).getOption().yAxis[0].axisLabel.color"
    )


def test_the_picker_switches_page_and_charts_live_and_is_remembered(world) -> None:
    page = open_board(world)
    light_axis = axis_colour(frame(page, "Plain"))
    page.evaluate("window.__stayed = true")

    page.focus("input[name=theme][value=light]")
    page.keyboard.press("ArrowRight")  # radios: the arrow keys move the choice, Dark is next
    page.wait_for_function("() => document.body.classList.contains('theme-dark')")
    plain = frame(page, "Plain")
    plain.wait_for_function("() => document.body.classList.contains('theme-dark')")
    plain.wait_for_function(f"() => window.echarts.getInstanceByDom(document.getElementById('panes-chart')).getOption().yAxis[0].axisLabel.color !== '{light_axis}'")
    assert page.evaluate("window.__stayed") is True
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(11, 17, 32)"
    assert any(c["name"] == "panes_theme" and c["value"] == "dark" for c in world["context"].cookies())

    page.reload()
    for title in ("Plain", "Own colours"):
        frame(page, title).wait_for_function("() => document.body.dataset.state === 'ready'")
    assert "theme-dark" in page.evaluate("document.body.className")
    assert "theme=dark" in frame(page, "Plain").url  # rendered dark by the server, no flash


def test_auto_follows_the_system_setting_as_it_changes(world) -> None:
    page = world["page"]
    page.emulate_media(color_scheme="light")
    page = open_board(world)
    page.check("input[name=theme][value=auto]")
    plain = frame(page, "Plain")
    plain.wait_for_function("() => document.body.classList.contains('theme-auto')")
    light_axis = axis_colour(plain)
    assert plain.evaluate("getComputedStyle(document.body).colorScheme") == "light"

    page.emulate_media(color_scheme="dark")
    plain.wait_for_function("() => getComputedStyle(document.body).colorScheme === 'dark'")
    plain.wait_for_function(f"() => window.echarts.getInstanceByDom(document.getElementById('panes-chart')).getOption().yAxis[0].axisLabel.color !== '{light_axis}'")
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(11, 17, 32)"


def test_charts_without_colours_take_the_brand_palette(world) -> None:
    page = open_board(world)
    palette = "window.echarts.getInstanceByDom(document.getElementById('panes-chart')).getOption().color"
    assert frame(page, "Plain").evaluate(palette)[:2] == BRAND
    assert frame(page, "Own colours").evaluate(palette)[0] == "#123456"
