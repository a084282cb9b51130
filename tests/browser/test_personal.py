"""Intranet features in a real browser: single sign-on through a trusted proxy, and a personal
dashboard composed with the keyboard.

The Panes server trusts exactly 127.0.0.2, the address tests/browser/sso_proxy.py connects from;
the browser's own connections come from 127.0.0.1 and their identity headers count for nothing.
"""
from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from .conftest import PanesServer, screenshot, start_server, stop_server
from .sso_proxy import SsoProxy, intranet_only
from .test_demo_isolation import ORDERS_SQL, chart_frames, kpi_value

CREATE_RULE = (
    "from charts.models import IntranetGroupRule, Tenant; "
    "IntranetGroupRule.objects.get_or_create(group='sales-acme', tenant=Tenant.objects.get(slug='acme'))"
)
USER_EXISTS = "from django.contrib.auth.models import User; print(User.objects.filter(username='{}').exists())"


@pytest.fixture(scope="module")
def sso_panes(tmp_path_factory) -> Iterator[PanesServer]:
    server = start_server(
        tmp_path_factory.mktemp("panes-sso"),
        PANES_SSO_ENABLED="true",
        PANES_SSO_HEADER="X-Remote-User",
        PANES_SSO_GROUPS_HEADER="X-Remote-Groups",
        PANES_SSO_TRUSTED_PROXIES="127.0.0.2",
    )
    server.manage("shell", "-c", CREATE_RULE)
    for person in ("alice", "bob"):
        intranet_only(server, person)
    yield server
    stop_server(server)


def user_exists(server: PanesServer, username: str) -> bool:
    output = server.manage("shell", "-c", USER_EXISTS.format(username)).strip()
    return output.splitlines()[-1] == "True"  # the shell may announce its automatic imports first


def test_signing_on_through_the_proxy_shows_the_groups_tenant_without_a_password(context, sso_panes) -> None:
    assert not user_exists(sso_panes, "erin")
    with SsoProxy(sso_panes.port, user="erin", groups=["Sales-Acme", "canteen"]) as proxy:
        page = context.new_page()
        page.goto(f"{proxy.origin}/")
        assert "/login/" not in page.url
        assert page.locator(".user-name").inner_text() == "erin"
        assert page.locator(".org-chip").inner_text().strip().endswith("Acme")
        assert page.get_by_role("link", name=re.compile("Acme operations")).count() == 1

        page.goto(f"{proxy.origin}/d/sales-overview/")
        frames = chart_frames(page)
        screenshot(page, "sso-erin-sales-overview")
        assert kpi_value(frames["Orders"]) == sso_panes.sql(ORDERS_SQL, ("acme",))[0][0]
    assert user_exists(sso_panes, "erin")


def test_the_same_headers_sent_directly_do_nothing(browser, sso_panes) -> None:
    context = browser.new_context(extra_http_headers={"X-Remote-User": "mallory", "X-Remote-Groups": "sales-acme"})
    try:
        page = context.new_page()
        page.goto(f"{sso_panes.page_origin}/")
        assert "/login/" in page.url
        assert page.locator("input[name=password]").count() == 1
        # Not even for a person who exists: alice must still type her password.
        page.set_extra_http_headers({"X-Remote-User": "alice"})
        page.goto(f"{sso_panes.page_origin}/d/sales-overview/")
        assert "/login/" in page.url
    finally:
        context.close()
    assert not user_exists(sso_panes, "mallory")


def test_a_person_composes_their_own_dashboard_with_the_keyboard(context, sso_panes) -> None:
    with SsoProxy(sso_panes.port, user="alice", groups=[]) as proxy:
        page = context.new_page()
        page.on("dialog", lambda dialog: dialog.accept())
        page.goto(f"{proxy.origin}/")
        page.get_by_role("link", name="My dashboards").click()
        page.get_by_label("Name", exact=True).fill("Morning")
        page.get_by_role("button", name="Create").click()
        assert re.search(r"/my/\d+/edit/$", page.url), page.url
        edit_url = page.url
        board_url = edit_url.removesuffix("edit/")

        for title in ("Orders", "Monthly revenue by product"):
            page.get_by_label("Chart", exact=True).select_option(label=title)
            page.get_by_role("button", name="Add chart").click()
            page.wait_for_load_state()
        expect(page.locator("[data-tile] .editor-tile__title")).to_have_count(2)
        assert page.locator("[data-tile] .editor-tile__title").all_inner_texts() == ["Orders", "Monthly revenue by product"]

        # Keyboard only: focus the second chart's "Up" button and press Enter.
        up = page.get_by_role("button", name="Move Monthly revenue by product up")
        up.focus()
        page.keyboard.press("Enter")
        titles = page.locator("[data-tile] .editor-tile__title")
        expect(titles).to_have_text(["Monthly revenue by product", "Orders"])
        assert page.evaluate("document.activeElement.getAttribute('aria-label')") == "Move Monthly revenue by product down"
        expect(page.locator("[data-personal-status]")).to_contain_text("moved to position 1")

        # Resize: a new width applies at once.
        orders = page.locator("[data-tile]").nth(1)
        orders.locator("select").select_option("3")
        expect(orders).to_have_attribute("style", re.compile(r"--span: 3;"))

        page.reload()
        assert page.locator("[data-tile] .editor-tile__title").all_inner_texts() == ["Monthly revenue by product", "Orders"]
        assert page.locator("[data-tile]").nth(1).locator("select").input_value() == "3"
        screenshot(page, "personal-editor")

        page.goto(board_url)
        frames = chart_frames(page)
        screenshot(page, "personal-dashboard")
        assert set(frames) == {"Orders", "Monthly revenue by product"}
        assert kpi_value(frames["Orders"]) == sso_panes.sql(ORDERS_SQL, ("acme",))[0][0]
        assert page.locator(".tile").nth(1).get_attribute("style").startswith("--span: 3")

        # Someone else, through the same proxy: the dashboard does not exist for them.
        proxy.user = "bob"
        response = page.goto(board_url)
        assert response.status == 404
        response = page.goto(edit_url)
        assert response.status == 404
