"""What a newcomer saw on the demo, at phone width (390 px) and on a desktop: the top bar on one
line, pie legends beside or under the pie but never on it, axis labels inside the chart and one per
bar, KPIs with units and one empty state and no gap under them, switching organisation on the same
dashboard, and personal dashboards with the filter bar. Each writes a screenshot to test-output/."""
from __future__ import annotations

import re
from datetime import datetime

from .conftest import login, screenshot
from .test_demo_isolation import accessible_rows, chart_frames

PHONE = {"width": 390, "height": 844}
MARCH = ("2026-03-01", "2026-03-31")

# Text lines an element's own text takes on screen.
LINES_JS = """el => {
  const range = document.createRange();
  range.selectNodeContents(el);
  return new Set(Array.from(range.getClientRects()).filter(r => r.width > 0).map(r => Math.round(r.top))).size;
}"""

# Every text ECharts drew (SVG renderer), relative to the chart's own box.
TEXTS_JS = """() => {
  const svg = document.querySelector('#panes-chart svg');
  const box = svg.getBoundingClientRect();
  return Array.from(svg.querySelectorAll('text')).filter(t => t.textContent.trim()).map(t => {
    const r = t.getBoundingClientRect();
    return {text: t.textContent, left: r.left - box.left, right: r.right - box.left, top: r.top - box.top,
            bottom: r.bottom - box.top, width: box.width, height: box.height};
  });
}"""

# The pie's circle and the legend's box, as ECharts laid them out.
PIE_JS = """() => {
  const chart = echarts.getInstanceByDom(document.getElementById('panes-chart'));
  const pie = chart.getModel().getSeriesByIndex(0).getData().getItemLayout(0);
  const group = chart.getViewOfComponentModel(chart.getModel().getComponent('legend')).group;
  const rect = group.getBoundingRect().clone();
  rect.applyTransform(group.getLocalTransform());
  return {cx: pie.cx, cy: pie.cy, r: pie.r, x: rect.x, y: rect.y, w: rect.width, h: rect.height};
}"""


def phone_page(context, panes, username: str):
    page = login(context, panes, username)
    page.set_viewport_size(PHONE)
    return page


def texts_inside(frame) -> list[dict]:
    texts = frame.evaluate(TEXTS_JS)
    assert texts, "no text drawn"
    outside = [t for t in texts if t["left"] < -0.5 or t["right"] > t["width"] + 0.5 or t["bottom"] > t["height"] + 0.5]
    assert not outside, outside
    return texts


def assert_legend_off_the_pie(frame) -> None:
    pie = frame.evaluate(PIE_JS)
    apart = (
        pie["y"] >= pie["cy"] + pie["r"] - 1  # under
        or pie["x"] >= pie["cx"] + pie["r"] - 1  # beside
        or pie["y"] + pie["h"] <= pie["cy"] - pie["r"] + 1
    )
    assert apart, pie


def test_at_phone_width_the_top_bar_is_one_line_and_pie_legends_leave_the_pie(context, panes) -> None:
    page = phone_page(context, panes, "carol")  # two organisations: the switcher is in the bar too
    page.goto(f"{panes.page_origin}/d/sales-overview/")
    frames = chart_frames(page)
    for selector in (".topbar__link >> text=My dashboards", ".logout button"):
        assert page.locator(selector).evaluate(LINES_JS) == 1, selector
    assert page.locator(".topbar").bounding_box()["height"] <= 57
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    for title in ("Share of revenue by city", "Orders by product"):
        assert_legend_off_the_pie(frames[title])
    screenshot(page, "phone-dashboard")
    page.locator(".topbar").screenshot(path=str(_output("phone-topbar.png")))
    donut = page.locator(".tile", has=page.locator('iframe[title="Share of revenue by city"]'))
    donut.screenshot(path=str(_output("phone-donut-legend.png")))


def test_axis_labels_stay_inside_and_every_bar_keeps_its_label(context, panes) -> None:
    page = login(context, panes, "alice")
    for width, name in ((1280, "desktop"), (390, "phone")):
        page.set_viewport_size({"width": width, "height": 2400})
        page.goto(f"{panes.page_origin}/d/sales-overview/")
        frames = chart_frames(page)
        for title in ("Revenue by day", "Orders by day", "Revenue by city"):
            texts_inside(frames[title])
        day_labels = [t["text"] for t in texts_inside(frames["Revenue by day"])]
        last_day = accessible_rows(frames["Revenue by day"])[-1][0]
        cities = [row[0] for row in accessible_rows(frames["Revenue by city"])]
        drawn = [t["text"].rstrip("…") for t in texts_inside(frames["Revenue by city"])]
        shown = {city for city in cities if any(label and city.startswith(label) for label in drawn)}
        assert shown == set(cities), (name, cities, drawn)
        screenshot(page, f"axis-labels-{name}")
        assert last_day in day_labels, (name, last_day, " ".join(day_labels))


def test_kpis_have_units_one_empty_state_and_no_gap_beside_a_tall_tile(context, panes) -> None:
    page = login(context, panes, "alice")
    page.goto(f"{panes.page_origin}/d/sales-overview/")
    frames = chart_frames(page)
    revenue = frames["Total revenue"].locator(".frame__kpi-value").inner_text()
    orders = frames["Orders"].locator(".frame__kpi-value").inner_text()
    assert re.fullmatch(r"€\d{1,3}(,\d{3})+", revenue), revenue
    assert re.fullmatch(r"\d{1,3}(,\d{3})+", orders), orders

    boxes = [page.locator(".tile", has=page.locator(f'iframe[title="{t}"]')).bounding_box() for t in ("Total revenue", "Orders", "Top products")]
    assert boxes[0]["y"] == boxes[2]["y"]  # the same row
    assert abs((boxes[0]["y"] + boxes[0]["height"]) - (boxes[2]["y"] + boxes[2]["height"])) <= 1
    assert abs((boxes[1]["y"] + boxes[1]["height"]) - (boxes[2]["y"] + boxes[2]["height"])) <= 1
    page.locator(".grid").screenshot(path=str(_output("kpis-beside-a-tall-tile.png")))

    page.goto(f"{panes.page_origin}/d/sales-overview/?date_from=2020-01-01&date_to=2020-01-31")
    frames = chart_frames(page)
    for title in ("Total revenue", "Orders"):
        frame = frames[title]
        assert frame.locator(".frame__kpi-value").inner_text() == "–", title
        assert frame.locator(".frame__kpi-label").inner_text() == "No data for this period", title
        assert frame.evaluate("document.body.dataset.state") == "empty"
    page.locator(".grid").screenshot(path=str(_output("kpis-empty-period.png")))


def test_switching_organisation_stays_on_the_dashboard(context, panes) -> None:
    page = login(context, panes, "carol")
    here = f"/d/sales-overview/?date_from={MARCH[0]}&date_to={MARCH[1]}"
    page.goto(panes.page_origin + here)
    current = page.locator("#tenant-switch option:checked").inner_text()
    other = "Globex" if current == "Acme" else "Acme"
    with page.expect_navigation():
        page.select_option("#tenant-switch", label=other)
    assert page.url == panes.page_origin + here
    assert page.locator("#tenant-switch option:checked").inner_text() == other
    chart_frames(page)
    page.wait_for_timeout(1500)
    screenshot(page, "switch-organisation-same-dashboard")


def test_a_personal_dashboard_has_the_filter_bar_and_reads_the_dates(context, panes) -> None:
    page = login(context, panes, "alice")
    page.goto(f"{panes.page_origin}/my/")
    page.fill("input[name=title]", "March check")
    with page.expect_navigation():
        page.click("button:has-text('Create')")
    page.select_option("select[name=chart]", label="Revenue by day")
    with page.expect_navigation():
        page.click("button:has-text('Add chart')")
    view = page.url.split("#")[0].replace("/edit/", "/")
    page.goto(f"{view}?date_from={MARCH[0]}&date_to={MARCH[1]}")
    assert page.input_value("#filter-date_from") == MARCH[0]
    assert page.input_value("#filter-date_to") == MARCH[1]
    frames = chart_frames(page)
    # The table writes each day as the viewer's locale does (en-US here: "Mar 1, 2026").
    days = [datetime.strptime(row[0], "%b %d, %Y").date().isoformat() for row in accessible_rows(frames["Revenue by day"])]
    assert days and all(MARCH[0] <= day <= MARCH[1] for day in days), days
    page.wait_for_timeout(1500)  # the line's drawing animation, for the screenshot
    screenshot(page, "personal-dashboard-filter-bar")


def _output(name: str):
    from .conftest import OUTPUT

    OUTPUT.mkdir(exist_ok=True)
    return OUTPUT / name
