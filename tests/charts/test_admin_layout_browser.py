"""The Dashboard layout editor in a real browser: a tile dragged, moved and resized with the
keyboard (announced), a chart added from the list, then the normal admin save stores the layout.
Screenshot: test-output/admin-layout-editor.png."""
from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client

from charts.models import DashboardChart, Tenant, Workspace
from tests.charts.builders import make_chart, make_dashboard
from tests.conftest import LOCAL_KEY_ENV
from tests.support.browser import CHROMIUM, CHROMIUM_ARGS

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium"),
]

OUTPUT = Path(__file__).resolve().parents[2] / "test-output"


@pytest.fixture
def admin_page(live_server, transactional_db):
    workspace = Workspace.objects.create(name="Built-in", workspace_id="ws", signing_key_env=LOCAL_KEY_ENV)
    acme = Tenant.objects.create(name="Acme", slug="acme")
    revenue = make_chart(workspace, "Revenue", "sales_by_day")
    orders = make_chart(workspace, "Orders", "sales_by_city")
    make_chart(workspace, "Top products", "top_products")
    dashboard = make_dashboard("sales", acme, charts=[revenue, orders])
    staff = get_user_model().objects.create_user("root", password="pw", is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(staff)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value

    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # Playwright's loop shares this thread
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1200, "height": 900})
        host = live_server.url.split("//")[1].split(":")[0]
        context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": session, "domain": host, "path": "/"}])
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(f"{live_server.url}/admin/charts/dashboard/{dashboard.pk}/change/")
        yield page, dashboard, errors
        browser.close()
    os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


def titles(page) -> list[str]:
    return page.locator(".layout-tile .layout-title").all_inner_texts()


def test_drag_keyboard_and_add_then_save_stores_the_layout(admin_page) -> None:
    page, dashboard, errors = admin_page
    tiles = page.locator(".layout-tile")
    tiles.first.wait_for()
    assert titles(page) == ["Revenue", "Orders"]

    tiles.nth(1).drag_to(tiles.nth(0))
    assert titles(page) == ["Orders", "Revenue"]
    live = page.locator("[data-layout-live]")
    assert live.inner_text().startswith("Moved. Orders: tile 1 of 2")

    # Keyboard only: focus Orders, widen it twice, move it after Revenue.
    page.locator(".layout-tile").first.focus()
    page.keyboard.press("Shift+ArrowRight")
    page.keyboard.press("Shift+ArrowRight")
    assert live.inner_text() == "Resized. Orders: tile 1 of 2, row 1, columns 1 to 8, 8 of 12 wide."
    page.keyboard.press("ArrowRight")
    assert titles(page) == ["Revenue", "Orders"]
    assert live.inner_text() == "Moved. Orders: tile 2 of 2, row 2, columns 1 to 8, 8 of 12 wide."
    assert page.evaluate("document.activeElement.getAttribute('aria-label')").startswith("Orders: tile 2 of 2")

    page.select_option("[data-layout-picker]", label="Top products (top_products)")
    page.click("[data-layout-add]")
    assert titles(page) == ["Revenue", "Orders", "Top products (top_products)"]
    assert live.inner_text().startswith("Added. Top products (top_products): tile 3 of 3")

    OUTPUT.mkdir(exist_ok=True)
    page.locator(".layout-editor").scroll_into_view_if_needed()
    page.screenshot(path=str(OUTPUT / "admin-layout-editor.png"), full_page=True)

    page.click("input[name=_continue]")
    page.wait_for_load_state()
    assert "was changed successfully" in page.content()
    saved = [(t.chart.title, t.width) for t in DashboardChart.objects.filter(dashboard=dashboard).select_related("chart")]
    assert saved == [("Revenue", 6), ("Orders", 8), ("Top products", 6)]
    assert errors == []
