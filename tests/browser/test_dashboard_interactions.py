"""The dashboard page's interactions on the demo, in a real browser (issue 12): drill-through
(open, deeper, breadcrumbs back, Escape, the keyboard alone, and only the tenant's rows whatever a
click carries), cross-filtering with its chip and address, the date presets, the period
comparison and the auto-refresh. Screenshots go to test-output/dashboard-*.png.

The demo's Top products chart drills into orders_detail by product then city; Revenue by city
cross-filters the other charts by city (demo/content.py).
"""
from __future__ import annotations

from datetime import date, timedelta
from urllib.parse import parse_qs, urlsplit

from playwright.sync_api import expect

from .conftest import login, screenshot
from .test_demo_isolation import chart_frames, jwt_claims, kpi_value

BOARD = "/d/sales-overview/"
DIALOG = "[data-drill-panel]"
DETAIL_ROWS = "SELECT date, city, product, COUNT(*) FROM orders WHERE company_id = ? AND product = ? GROUP BY date, city, product"
CITY_ORDERS = "SELECT COUNT(*) FROM orders WHERE company_id = ? AND city = ?"
ORDERS = "SELECT COUNT(*) FROM orders WHERE company_id = ?"
SETTLED = "['ready', 'empty', 'error'].includes(document.body.dataset.state)"
# Predicates are functions: a string expression is eval'd in the page, which its CSP refuses.
READY = f"() => {SETTLED}"


def open_board(context, panes, query: str = ""):
    page = login(context, panes, "alice")
    page.goto(f"{panes.page_origin}{BOARD}{query}")
    return page, chart_frames(page)


def click_first_mark(frame) -> None:
    """A mouse click on the first category of a bar chart, where ECharts puts it."""
    x, y = frame.evaluate(
        """() => {
            const chart = echarts.getInstanceByDom(document.querySelector('.frame__chart'));
            const [x, y] = chart.convertToPixel({gridIndex: 0}, [0, 0]);
            return [x, y];
        }"""
    )
    horizontal = frame.evaluate("echarts.getInstanceByDom(document.querySelector('.frame__chart')).getOption().yAxis[0].type === 'category'")
    # The first category at its baseline: a little inside the bar, whichever way bars run.
    point = {"x": x + 6, "y": y} if horizontal else {"x": x, "y": y - 6}
    frame.locator(".frame__chart").click(position=point)


def detail_frame(page):
    """The drill panel's frame once it has drawn."""
    page.wait_for_function("() => { const f = document.querySelector('[data-drill-frame]'); const b = f && f.contentDocument && f.contentDocument.body; return Boolean(b) && location.origin && f.contentDocument.URL.includes('/drill/') && ['ready', 'empty', 'error'].includes(b.dataset.state); }")
    frame = next(f for f in page.frames if "/drill/" in f.url and not f.is_detached())
    frame.wait_for_function(READY)
    return frame


def crumbs(page) -> list[str]:
    return page.locator("[data-drill-crumbs] li").all_inner_texts()


def frame_query(frame) -> dict:
    return {k: v[0] for k, v in parse_qs(frame.evaluate("document.body.dataset.filters || ''")).items()}


def wait_focus_back(page, title: str) -> None:
    """The closed drill panel gives the focus back to the chart's frame. Its "close" event, which
    does so, is a task after the ``open`` attribute goes, so this waits a moment for it."""
    page.wait_for_function(
        "title => document.activeElement === document.querySelector(`.tile[aria-label=\"${title}\"] iframe`)",
        arg=title,
        timeout=5000,
    )


def test_a_click_opens_the_drill_which_goes_deeper_back_and_closes_with_escape(context, panes) -> None:
    page, frames = open_board(context, panes)
    click_first_mark(frames["Top products"])
    expect(page.locator(DIALOG)).to_have_attribute("open", "")
    detail = detail_frame(page)
    product = frames["Top products"].evaluate("document.body.dataset.clicked")
    assert crumbs(page) == ["Top products", product]
    assert frame_query(detail)["product"] == product
    screenshot(page, "dashboard-drill-level-1")

    # A row of the detail table opens the next level: that row's city.
    detail.locator("tbody tr").first.click()
    page.wait_for_function("() => document.querySelectorAll('[data-drill-crumbs] li').length === 3")
    detail = detail_frame(page)
    city = crumbs(page)[2]
    assert frame_query(detail) == {**frame_query(detail), "product": product, "city": city}
    # The last level's rows are not clickable.
    assert detail.locator("tbody tr.frame__row-action").count() == 0
    screenshot(page, "dashboard-drill-level-2")

    # Back one level through the breadcrumbs, then Escape closes and gives the focus back.
    page.get_by_role("button", name=product).click()
    page.wait_for_function("() => document.querySelectorAll('[data-drill-crumbs] li').length === 2")
    assert "city" not in frame_query(detail_frame(page))
    page.keyboard.press("Escape")
    expect(page.locator(DIALOG)).not_to_have_attribute("open", "")
    wait_focus_back(page, "Top products")


def test_the_drill_works_with_the_keyboard_alone(context, panes) -> None:
    page, frames = open_board(context, panes)
    top = frames["Top products"]
    top.locator(".frame__chart").focus()
    page.keyboard.press("ArrowRight")  # the second product
    page.keyboard.press("Enter")
    expect(page.locator(DIALOG)).to_have_attribute("open", "")
    detail = detail_frame(page)
    assert crumbs(page)[1] == top.evaluate("document.body.dataset.clicked")

    # Tab into the detail table and open a row with Enter.
    for _ in range(20):
        page.keyboard.press("Tab")
        if detail.evaluate("document.activeElement && document.activeElement.matches('tbody tr')"):
            break
    else:
        raise AssertionError("Tab never reached a row of the detail table")
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.querySelectorAll('[data-drill-crumbs] li').length === 3")
    screenshot(page, "dashboard-drill-keyboard")
    detail_frame(page).locator("body").press("Escape")  # inside the frame, Escape still closes
    expect(page.locator(DIALOG)).not_to_have_attribute("open", "")
    wait_focus_back(page, "Top products")


def test_a_drilled_table_holds_only_the_tenants_rows_whatever_the_click_carries(context, panes) -> None:
    page, frames = open_board(context, panes)
    answers = []
    page.on("response", lambda r: answers.append(r) if "/v0/pipes/orders_detail" in r.url else None)
    product = panes.sql("SELECT product FROM orders WHERE company_id = 'acme' LIMIT 1")[0][0]
    # A click as a compromised frame might send it: another tenant's id in the value and beside it.
    frames["Top products"].evaluate(
        """product => parent.postMessage({type: 'panes:chart-click', chart: 0, column: 'product', value: product,
                                          company_id: 'globex'}, location.origin)""",
        product,
    )
    detail = detail_frame(page)
    # And the panel's frame asked directly for globex's rows in its address.
    page.evaluate(
        """() => { const f = document.querySelector('[data-drill-frame]'); const url = new URL(f.src);
                   url.searchParams.set('company_id', 'globex'); f.src = url.toString(); }"""
    )
    page.wait_for_function("() => document.querySelector('[data-drill-frame]').src.includes('company_id=globex')")
    detail = detail_frame(page)
    screenshot(page, "dashboard-drill-tenant")

    assert answers
    acme = {(str(d), c, p): n for d, c, p, n in panes.sql(DETAIL_ROWS, ("acme", product))}
    globex = {(str(d), c, p): n for d, c, p, n in panes.sql(DETAIL_ROWS, ("globex", product))}
    for response in answers:
        claims = jwt_claims(response.request.headers["authorization"].removeprefix("Bearer "))
        assert {s["fixed_params"]["company_id"] for s in claims["scopes"]} == {"acme"}
        rows = response.json()["data"]
        assert rows, "the detail pipe returned no rows"
        for row in rows:
            key = (str(row["date"]), row["city"], row["product"])
            assert row["product"] == product
            assert acme[key] == row["orders"], key
    assert acme != globex
    assert detail.evaluate("document.body.dataset.rows") == str(len(answers[-1].json()["data"]))


def test_a_click_on_a_city_filters_the_other_charts_and_shows_a_chip(context, panes) -> None:
    page, frames = open_board(context, panes)
    click_first_mark(frames["Revenue by city"])
    city = frames["Revenue by city"].evaluate("document.body.dataset.clicked")
    chip = page.locator(f'[data-chip="city"]')
    expect(chip).to_contain_text(f"City: {city}")
    page.wait_for_function(f"() => new URLSearchParams(location.search).get('city') === {city!r}")
    frames["Orders"].wait_for_function(f"() => (document.body.dataset.filters || '').includes('city=') && {SETTLED}")
    expect(frames["Orders"].locator(".frame__kpi-value")).to_have_text(
        f"{panes.sql(CITY_ORDERS, ('acme', city))[0][0]:,}", timeout=20_000
    )
    # The clicking chart is not filtered by its own click.
    assert "city" not in frame_query(frames["Revenue by city"])
    page.wait_for_timeout(1200)  # the charts' redrawing animation, for the picture
    screenshot(page, "dashboard-cross-filter")

    # A reload keeps it: the chip is server-rendered and the frames start filtered.
    page.reload()
    frames = chart_frames(page)
    expect(page.locator('[data-chip="city"]')).to_contain_text(city)
    assert frame_query(frames["Orders"])["city"] == city
    assert kpi_value(frames["Orders"]) == panes.sql(CITY_ORDERS, ("acme", city))[0][0]

    # The chip's × removes it, with the keyboard.
    page.locator('[data-chip-remove="city"]').focus()
    page.keyboard.press("Enter")
    expect(page.locator('[data-chip="city"]')).to_have_count(0)
    page.wait_for_function("() => !new URLSearchParams(location.search).has('city')")
    frames["Orders"].wait_for_function("() => !(document.body.dataset.filters || '').includes('city=')")
    expect(frames["Orders"].locator(".frame__kpi-value")).to_have_text(f"{panes.sql(ORDERS, ('acme',))[0][0]:,}", timeout=20_000)


def test_a_preset_fills_the_range_and_a_typed_date_makes_it_custom(context, panes) -> None:
    page, frames = open_board(context, panes)
    page.select_option("#filter-period", "last_7_days")
    today = page.evaluate("() => { const d = new Date(); return [d.getFullYear(), d.getMonth() + 1, d.getDate()]; }")
    end = date(*today)
    start = end - timedelta(days=6)
    page.wait_for_function("() => new URLSearchParams(location.search).get('period') === 'last_7_days'")
    assert page.input_value("#filter-date_from") == start.isoformat()
    assert page.input_value("#filter-date_to") == end.isoformat()
    frames["Revenue by day"].wait_for_function(f"() => (document.body.dataset.filters || '').includes('date_from={start.isoformat()}')")
    assert frame_query(frames["Revenue by day"]) == {"date_from": start.isoformat(), "date_to": end.isoformat()}
    page.wait_for_timeout(1200)  # the charts' redrawing animation, for the picture
    screenshot(page, "dashboard-preset")

    # The server resolves the same period on a reload.
    page.reload()
    chart_frames(page)
    assert page.input_value("#filter-period") == "last_7_days"
    assert page.input_value("#filter-date_from") == start.isoformat()

    page.fill("#filter-date_from", (start - timedelta(days=1)).isoformat())
    page.wait_for_function("() => !new URLSearchParams(location.search).has('period')")
    assert page.input_value("#filter-period") == ""
    assert parse_qs(urlsplit(page.url).query)["date_from"] == [(start - timedelta(days=1)).isoformat()]


def test_a_comparison_draws_a_second_series_and_a_kpi_delta(context, panes) -> None:
    page, frames = open_board(context, panes, "?period=last_30_days")
    page.select_option("#filter-compare", "previous_period")
    page.wait_for_function("() => new URLSearchParams(location.search).get('compare') === 'previous_period'")
    frames["Revenue by day"].wait_for_function("() => document.body.dataset.compare === 'previous_period'")
    assert int(frames["Revenue by day"].evaluate("document.body.dataset.compareRows")) > 0
    expect(frames["Total revenue"].locator(".frame__kpi-delta")).to_contain_text("vs previous period")
    page.wait_for_timeout(1200)  # the charts' redrawing animation, for the picture
    screenshot(page, "dashboard-comparison")

    page.select_option("#filter-compare", "")
    frames["Revenue by day"].wait_for_function("() => !document.body.dataset.compare")
    assert "compare" not in page.url


SET_REFRESH = """
from charts import revisions
from charts.models import Dashboard
Dashboard.objects.filter(slug="sales-overview").update(refresh_seconds={seconds})
revisions.bump()
"""


def test_auto_refresh_refetches_every_chart_pauses_while_hidden_and_catches_up(context, panes) -> None:
    panes.manage("shell", "-c", SET_REFRESH.format(seconds=10))
    try:
        page, frames = open_board(context, panes)
        assert page.evaluate("JSON.parse(document.getElementById('panes-page-config').textContent).refresh_seconds") == 10
        revenue = frames["Revenue by day"]
        revenue.wait_for_function("() => Number(document.body.dataset.refreshes || 0) >= 1", timeout=15_000)
        screenshot(page, "dashboard-auto-refresh")

        # Hidden: nothing is sent; visible again after the interval: one catch-up at once.
        page.evaluate(
            """() => { Object.defineProperty(document, 'hidden', {configurable: true, get: () => true});
                       document.dispatchEvent(new Event('visibilitychange')); }"""
        )
        before = int(revenue.evaluate("Number(document.body.dataset.refreshes || 0)"))
        page.wait_for_timeout(11_000)
        assert int(revenue.evaluate("Number(document.body.dataset.refreshes || 0)")) == before
        page.evaluate(
            """() => { Object.defineProperty(document, 'hidden', {configurable: true, get: () => false});
                       document.dispatchEvent(new Event('visibilitychange')); }"""
        )
        revenue.wait_for_function(f"() => Number(document.body.dataset.refreshes || 0) === {before + 1}", timeout=3_000)
    finally:
        panes.manage("shell", "-c", SET_REFRESH.format(seconds=None))


DRILL_BY_CITY = """
from charts import revisions
from charts.models import Chart
Chart.objects.filter(title="Revenue by city").update(drill_pipe={pipe!r}, drill_params={params!r})
revisions.bump()
"""


def test_a_chart_that_drills_and_cross_filters_offers_the_filter_in_its_drill_panel(context, panes) -> None:
    panes.manage("shell", "-c", DRILL_BY_CITY.format(pipe="orders_detail", params="city,product"))
    try:
        page, frames = open_board(context, panes)
        click_first_mark(frames["Revenue by city"])
        city = frames["Revenue by city"].evaluate("document.body.dataset.clicked")
        expect(page.locator(DIALOG)).to_have_attribute("open", "")
        detail_frame(page)
        assert page.locator('[data-chip="city"]').count() == 0  # the drill opened, nothing was filtered
        button = page.locator("[data-drill-filter]")
        expect(button).to_have_text(f"Filter the dashboard by {city}")
        screenshot(page, "dashboard-drill-filter-button")
        button.click()
        expect(page.locator(DIALOG)).not_to_have_attribute("open", "")
        expect(page.locator('[data-chip="city"]')).to_contain_text(city)
        page.wait_for_function(f"() => new URLSearchParams(location.search).get('city') === {city!r}")
    finally:
        panes.manage("shell", "-c", DRILL_BY_CITY.format(pipe="", params=""))
