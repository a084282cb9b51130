"""What a chart frame tells its page, and what it draws for a comparison, against the demo server.

The frames post their messages to the page (same origin): a click or Enter on a bar of a chart
with a cross-filter or a drill-through sends CHART_CLICK with the clicked raw index value; a row of
a detail table sends DRILL with the next drill param's value; a frame that gives up sends ERROR.
Every message the page receives is copied to the console by an init script (no page script is
changed), so the tests wait for them with Playwright's console events instead of polling.
"""
from __future__ import annotations

import json
import re
from datetime import date
from urllib.parse import quote

import pytest

from charts import periods

from .conftest import login, screenshot
from .test_demo_isolation import chart_frames

MARCH = ("2026-03-01", "2026-03-31")
MESSAGE_PREFIX = "panes-test-message "
RECORD_MESSAGES = """
if (window === window.top) {
  window.addEventListener("message", (event) => {
    const data = event.data;
    if (data && typeof data.type === "string" && data.type.startsWith("panes:") && event.origin === location.origin) {
      console.info("%s" + JSON.stringify(data));
    }
  });
}
""" % MESSAGE_PREFIX
CITY_REVENUE_SQL = (
    "SELECT city, SUM(amount) AS revenue FROM orders WHERE company_id = ? AND date >= ? AND date <= ? "
    "GROUP BY city ORDER BY revenue DESC"
)
REVENUE_SQL = "SELECT SUM(amount) FROM orders WHERE company_id = ? AND date >= ? AND date <= ?"


def messages(page) -> list[dict]:
    """The panes messages the page has received so far, oldest first."""
    seen: list[dict] = []
    page.on("console", lambda m: seen.append(json.loads(m.text[len(MESSAGE_PREFIX):])) if m.text.startswith(MESSAGE_PREFIX) else None)
    return seen


def expect_message(page, kind: str, **fields):
    """A context manager that waits for the page to receive a ``kind`` message with ``fields``."""

    def matches(message) -> bool:
        if not message.text.startswith(MESSAGE_PREFIX):
            return False
        data = json.loads(message.text[len(MESSAGE_PREFIX):])
        return data.get("type") == kind and all(data.get(k) == v for k, v in fields.items())

    return page.expect_console_message(matches, timeout=15_000)


def message_of(info) -> dict:
    return json.loads(info.value.text[len(MESSAGE_PREFIX):])


def open_dashboard(context, panes, query: str = ""):
    page = login(context, panes, "alice")
    page.add_init_script(RECORD_MESSAGES)
    seen = messages(page)
    page.goto(f"{panes.page_origin}/d/sales-overview/?date_from={MARCH[0]}&date_to={MARCH[1]}{query}")
    return page, chart_frames(page), seen


def found(pattern: str, text: str) -> str:
    match = re.search(pattern, text)
    assert match, f"{pattern} not in {text}"
    return match.group(1)


def chart_id(frame) -> int:
    return int(found(r"/frame/(\d+)/", frame.url))


def bar_center(frame, index: int) -> dict:
    """The middle of bar ``index`` of the frame's first series, relative to the chart area (a bar
    list's bars lie along the x axis)."""
    x, y = frame.evaluate(
        """(i) => {
          const chart = echarts.getInstanceByDom(document.getElementById('panes-chart'));
          const value = chart.getOption().series[0].data[i];
          const across = document.body.classList.contains('frame--bar_list');
          return chart.convertToPixel({seriesIndex: 0}, across ? [value / 2, i] : [i, value / 2]);
        }""",
        index,
    )
    return {"x": x, "y": y}


def post(page, frame, message: dict, times: int = 1) -> None:
    """Posts ``message`` to ``frame`` from its page, as the page's own scripts do."""
    page.evaluate(
        """([url, message, times]) => {
          const frame = [...document.querySelectorAll('iframe')].find((f) => f.src.startsWith(url));
          for (let i = 0; i < times; i++) frame.contentWindow.postMessage(message, location.origin);
        }""",
        [frame.url.split("?")[0], message, times],
    )


def test_a_click_and_enter_on_a_bar_send_the_clicked_city(context, panes) -> None:
    page, frames, _ = open_dashboard(context, panes)
    city = frames["Revenue by city"]
    cities = [row[0] for row in panes.sql(CITY_REVENUE_SQL, ("acme", *MARCH))]
    shown = city.evaluate("echarts.getInstanceByDom(document.getElementById('panes-chart')).getOption().xAxis[0].data")
    assert shown == cities  # the pipe's order: biggest first

    with expect_message(page, "panes:chart-click") as info:
        city.locator("#panes-chart").click(position=bar_center(city, 1))
    assert message_of(info) == {"type": "panes:chart-click", "chart": chart_id(city), "column": "city", "value": cities[1]}

    # The keyboard: the chart area takes focus, the arrows move a highlighted mark, Enter picks it.
    chart_area = city.locator("#panes-chart")
    assert chart_area.get_attribute("tabindex") == "0"
    chart_area.focus()
    page.keyboard.press("End")
    page.keyboard.press("ArrowLeft")
    expected = len(cities) - 2
    assert chart_area.get_attribute("data-focused-mark") == str(expected)
    assert city.locator("#panes-announce").inner_text().startswith(cities[expected] + ":")
    assert city.evaluate("getComputedStyle(document.activeElement).outlineStyle") != "none"
    screenshot(page, "frame-keyboard-focused-bar")
    with expect_message(page, "panes:chart-click", value=cities[expected]) as info:
        page.keyboard.press("Enter")
    assert message_of(info)["chart"] == chart_id(city)
    with expect_message(page, "panes:chart-click", value=cities[expected - 1]):
        page.keyboard.press("ArrowLeft")
        page.keyboard.press(" ")

    # A donut's slices, by the keyboard too.
    share = frames["Share of revenue by city"]
    share.locator("#panes-chart").focus()
    page.keyboard.press("Home")
    page.keyboard.press("ArrowRight")
    assert share.locator("#panes-announce").inner_text().startswith(cities[1] + ":")
    screenshot(page, "frame-keyboard-focused-slice")
    with expect_message(page, "panes:chart-click", value=cities[1]) as info:
        page.keyboard.press("Enter")
    assert message_of(info)["chart"] == chart_id(share)

    # A chart whose clicks do nothing is not a stop on the keyboard's way.
    assert frames["Revenue by day"].locator("#panes-chart").get_attribute("tabindex") is None


def test_a_detail_table_drills_into_the_next_param(context, panes) -> None:
    page, frames, seen = open_dashboard(context, panes)
    products = frames["Top products"]
    product = products.evaluate(
        "echarts.getInstanceByDom(document.getElementById('panes-chart')).getOption().yAxis[0].data[0]"
    )
    with expect_message(page, "panes:chart-click", value=product):
        products.locator("#panes-chart").click(position=bar_center(products, 0))

    # The page's drill panel opens the detail frame: orders_detail's rows for that product.
    detail = page.frame_locator("dialog[data-drill-panel] iframe")
    detail.locator("body[data-state='ready']").wait_for(state="attached", timeout=15_000)
    assert detail.locator("body").get_attribute("class").split()[:3] == ["frame", "frame--table", "frame--detail"]
    headers = [c.lower() for c in detail.locator(".frame__table thead th").all_inner_texts()]
    assert headers[:3] == ["date", "city", "product"]
    assert set(detail.locator(".frame__table tbody td:nth-child(3)").all_inner_texts()) == {product}
    rows = detail.locator(".frame__table tbody tr.frame__row-action")
    assert rows.count() > 1
    screenshot(page, "frame-detail-table")

    # The file is named after the chart and the drilled value, and holds the rows shown.
    with page.expect_download() as download:
        detail.locator("#panes-download").click()
    slug = re.sub(r"[^a-z0-9]+", "-", product.lower()).strip("-")
    assert download.value.suggested_filename == f"top-products-{slug}-{MARCH[0]}_{MARCH[1]}.csv"

    # A row, by the keyboard, drills on by its city: the next drill param.
    city = rows.nth(1).locator("td:nth-child(2)").inner_text()
    rows.nth(1).focus()
    with expect_message(page, "panes:drill", column="city", value=city) as info:
        page.keyboard.press("Enter")
    assert message_of(info)["chart"] == chart_id(products)

    # The last level: the product's rows in that city, which drill no further.
    last = page.frame_locator("dialog[data-drill-panel] iframe")
    last.locator(f"body[data-state='ready'][data-filters*='city={quote(city)}']").wait_for(state="attached")
    assert set(last.locator(".frame__table tbody td:nth-child(2)").all_inner_texts()) == {city}
    assert set(last.locator(".frame__table tbody td:nth-child(3)").all_inner_texts()) == {product}
    assert last.locator(".frame__row-action").count() == 0
    assert not [m for m in seen if m["type"] == "panes:error"]


def test_a_table_row_is_clicked_with_the_keyboard(context, panes) -> None:
    page = login(context, panes, "alice")
    page.add_init_script(RECORD_MESSAGES)
    page.goto(f"{panes.page_origin}/d/acme-operations/?date_from={MARCH[0]}&date_to={MARCH[1]}")
    cities = chart_frames(page)["Cities"]
    rows = cities.locator(".frame__table tbody tr.frame__row-action")
    first = rows.first.locator("td:first-child").inner_text()
    rows.first.focus()
    with expect_message(page, "panes:chart-click", column="city", value=first) as info:
        page.keyboard.press("Enter")
    assert message_of(info)["chart"] == chart_id(cities)


def test_a_frame_that_gives_up_tells_the_page(context, panes) -> None:
    page, frames, _ = open_dashboard(context, panes)
    products = frames["Top products"]
    with expect_message(page, "panes:error", error="bad_filter") as info:
        page.evaluate(
            """(url) => {
              const frame = document.createElement('iframe');
              frame.src = url;
              document.body.appendChild(frame);
            }""",
            f"/frame/{chart_id(products)}/drill/?product=Anvil&date_from=2026-02-30",
        )
    message = message_of(info)
    assert message["chart"] == chart_id(products)
    assert "date" in message["message"].lower()


def test_a_comparison_draws_a_muted_series_and_a_kpi_delta(context, panes) -> None:
    page, frames, _ = open_dashboard(context, panes, "&compare=previous_period")
    earlier = periods.comparison_range(date.fromisoformat(MARCH[0]), date.fromisoformat(MARCH[1]), "previous_period")
    assert earlier == (date(2026, 1, 29), date(2026, 2, 28))

    day = frames["Revenue by day"]
    day.locator("body[data-compare='previous_period']").wait_for(state="attached")
    assert day.locator("body").get_attribute("data-compare-rows") == str((earlier[1] - earlier[0]).days + 1)
    series = day.evaluate(
        """() => echarts.getInstanceByDom(document.getElementById('panes-chart')).getOption().series
             .map(s => ({name: s.name, dashed: (s.lineStyle || {}).type === 'dashed', n: s.data.length}))"""
    )
    assert series == [
        {"name": "Revenue", "dashed": False, "n": 31},
        {"name": "Revenue (Previous period)", "dashed": True, "n": 31},
    ]
    # The legend names both; the dashed line is drawn in the SVG.
    assert day.locator("svg text", has_text="Revenue (Previous period)").count() == 1
    assert day.locator("svg path[stroke-dasharray]").count() >= 1

    total = frames["Total revenue"]
    now = panes.sql(REVENUE_SQL, ("acme", *MARCH))[0][0]
    before = panes.sql(REVENUE_SQL, ("acme", earlier[0].isoformat(), earlier[1].isoformat()))[0][0]
    assert total.locator(".frame__kpi-value").inner_text() == f"€{round(now):,}"
    change = (now - before) / abs(before) * 100
    arrow = "▲" if change > 0 else "▼"
    assert total.locator(".frame__kpi-delta").inner_text() == f"{arrow} {abs(change):.1f}% vs previous period"
    screenshot(page, "frame-comparison")
    page.locator("label.theme-picker__option", has_text="Dark").click()
    day.locator("body.theme-dark[data-state='ready']").wait_for(state="attached")
    total.locator("body.theme-dark .frame__kpi-delta").wait_for()
    screenshot(page, "frame-comparison-dark")

    # A bar list cannot be compared: it draws one series, and says nothing of a comparison.
    products = frames["Top products"]
    assert products.locator("body").get_attribute("data-compare") is None

    # FILTERS from the page change the comparison; a key that is not a comparison removes it.
    def send_filters(compare: str) -> None:
        post(page, day, {"type": "panes:filters", "filters": {"date_from": MARCH[0], "date_to": MARCH[1]}, "compare": compare})

    send_filters("previous_year")
    day.locator("body[data-compare='previous_year'][data-state='ready']").wait_for(state="attached")
    assert day.locator("body").get_attribute("data-compare-rows") == "0"  # the demo's orders start in 2026
    names = day.evaluate("echarts.getInstanceByDom(document.getElementById('panes-chart')).getOption().series.map(s => s.name)")
    assert names == ["Revenue", "Revenue (Same period last year)"]
    send_filters("next_year")
    day.locator("body:not([data-compare])[data-state='ready']").wait_for(state="attached")
    assert day.evaluate("echarts.getInstanceByDom(document.getElementById('panes-chart')).getOption().series.length") == 1


@pytest.mark.parametrize("times", [5])
def test_a_refresh_refetches_once_however_often_it_is_asked(context, panes, times: int) -> None:
    page, frames, _ = open_dashboard(context, panes)
    city = frames["Revenue by city"]
    fetched: list[str] = []
    page.on("request", lambda r: fetched.append(r.url) if "/v0/pipes/" in r.url and r.frame == city else None)

    def refresh(count: int) -> None:
        post(page, city, {"type": "panes:refresh"}, count)

    with page.expect_response(lambda r: "/v0/pipes/" in r.url and r.frame == city):
        refresh(times)
    city.locator("body[data-refreshes='1'][data-state='ready']").wait_for(state="attached")
    assert len(fetched) == 1, fetched

    # Idle again, the next refresh fetches: the others were dropped, not queued.
    with page.expect_response(lambda r: "/v0/pipes/" in r.url and r.frame == city):
        refresh(1)
    city.locator("body[data-refreshes='2']").wait_for(state="attached")
    assert len(fetched) == 2, fetched
