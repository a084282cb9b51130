"""The chart builder in chromium, on the demo: choose a pipe, get its columns, see the preview
draw as a tenant with its fixed params, save. Screenshot: test-output/admin-chart-builder.png."""
from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.management import call_command
from playwright.sync_api import expect

from charts.models import Chart
from tests.charts.live_site import browser_for, chromium_available

pytestmark = [pytest.mark.browser, pytest.mark.skipif(not chromium_available(), reason="needs Debian's chromium")]

OUTPUT = Path(__file__).resolve().parents[2] / "test-output"


@pytest.fixture
def page(live_server, transactional_db, settings):
    call_command("demo", rows=2000, stdout=StringIO())
    settings.PANES_LOCAL_API_ORIGIN = live_server.url
    cache.clear()
    admin = get_user_model().objects.get(username="admin")
    with browser_for(live_server, admin) as context:
        page = context.new_page()
        page.set_viewport_size({"width": 1400, "height": 1000})
        page.goto(f"{live_server.url}/admin/charts/chart/add/")
        yield page
    cache.clear()


def builder_frame(page):
    for _ in range(100):
        for frame in page.frames:
            if "/builder/frame/" in frame.url:
                return frame
        page.wait_for_timeout(100)
    raise AssertionError("no preview frame")


def test_choose_a_pipe_get_its_columns_see_the_preview_and_save(page) -> None:
    assert page.locator("#id_workspace option:checked").inner_text() == "Panes built-in host"
    assert page.locator("fieldset.panes-kind-tinybird").is_hidden()  # kind Panes: Tinybird's section hidden
    page.fill("#id_title", "Daily orders")
    pipe = page.locator("select#id_pipe_name")
    pipe.wait_for()
    pipe.select_option("sales_by_day")
    assert page.locator("#id_pipe_id").input_value().startswith("t_")  # the scope follows the pipe

    expect(page.locator("#id_index_column")).to_have_value("date", timeout=15_000)
    expect(page.locator("#id_category_columns")).to_have_value("orders, revenue")
    chips = page.locator("#panes-builder-categories label")
    assert [t.strip() for t in chips.all_inner_texts()] == ["date", "orders", "revenue"]
    page.locator("#panes-builder-categories input[value=revenue]").uncheck()
    assert page.locator("#id_category_columns").input_value() == "orders"
    page.locator("#panes-builder-filters input[value=date_from]").check()
    page.locator("#panes-builder-filters input[value=date_to]").check()

    frame = builder_frame(page)
    frame.wait_for_selector("body[data-state=ready]", timeout=20_000)
    assert int(frame.locator("body").get_attribute("data-rows")) > 0
    fixed = page.locator("#panes-builder-fixed")
    assert "company_id" in fixed.inner_text() and "acme" in fixed.inner_text()
    page.mouse.wheel(0, -5000)  # the preview is sticky: back to the top for the screenshot
    page.wait_for_timeout(500)  # the chart's animation
    OUTPUT.mkdir(exist_ok=True)
    page.screenshot(path=str(OUTPUT / "admin-chart-builder.png"), full_page=True)

    page.select_option("#id_kind", "tinybird")
    # Every Panes-only section (the chart's drawing and its clicks) hides for a Tinybird chart.
    assert page.locator("fieldset.panes-kind-panes").evaluate_all("sections => sections.length === 2 && sections.every(s => s.hidden)")
    assert page.locator("fieldset.panes-kind-tinybird").is_visible()
    page.select_option("#id_kind", "panes")

    page.click("input[name=_save]")
    page.wait_for_url("**/admin/charts/chart/")
    chart = Chart.objects.get(title="Daily orders")
    assert (chart.pipe_name, chart.index_column, tuple(chart.category_columns)) == ("sales_by_day", "date", ("orders",))
    assert tuple(chart.filter_params) == ("date_from", "date_to")


def test_a_listing_that_cannot_be_read_leaves_a_typed_pipe_with_the_reason(live_server, transactional_db, settings) -> None:
    call_command("demo", rows=2000, stdout=StringIO())
    settings.PANES_LOCAL_API_ORIGIN = "http://127.0.0.1:9"  # nothing listens on the discard port
    cache.clear()
    admin = get_user_model().objects.get(username="admin")
    with browser_for(live_server, admin) as context:
        page = context.new_page()
        page.goto(f"{live_server.url}/admin/charts/chart/add/")
        note = page.locator("#panes-builder-pipe-note")
        expect(note).to_contain_text("could not be read", timeout=15_000)
        expect(note).to_contain_text("Type the pipe's name")
        assert page.locator("input#id_pipe_name").is_visible()
        page.fill("#id_pipe_name", "sales_by_day")
        expect(page.locator("#id_index_column-note, #panes-builder-columns-note")).to_contain_text("Columns not read")
        OUTPUT.mkdir(exist_ok=True)
        page.screenshot(path=str(OUTPUT / "admin-chart-builder-no-listing.png"), full_page=True)
    cache.clear()
