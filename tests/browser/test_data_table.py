"""Every Panes chart as a table and as a CSV file, against the demo server.

The CSV is written by the frame from the rows it drew, which it fetched with the chart's token and
filters, so the chart host's fixed params apply to the file exactly as to the chart: alice's file
holds Acme's rows only, and asking the host for another company anyway changes nothing. The file
and the table view hold the same columns, and numbers without float noise.
"""
from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from .conftest import login, screenshot
from .test_demo_isolation import chart_frames, jwt_claims, kpi_value

MARCH = ("2026-03-01", "2026-03-31")
CITY_SQL = (
    "SELECT city, COUNT(*), SUM(amount) FROM orders WHERE company_id = ? AND date >= ? AND date <= ? "
    "GROUP BY city ORDER BY city"
)
COUNT_SQL = "SELECT COUNT(*) FROM orders WHERE company_id = ? AND date >= ? AND date <= ?"


def march_dashboard(context, panes, username: str):
    page = login(context, panes, username)
    calls = []
    page.on("request", lambda r: calls.append(r) if "/v0/pipes/" in r.url else None)
    page.goto(f"{panes.page_origin}/d/sales-overview/?date_from={MARCH[0]}&date_to={MARCH[1]}")
    return page, chart_frames(page), calls


def download_csv(page, frame) -> tuple[str, list[dict]]:
    with page.expect_download() as info:
        frame.click("#panes-download")
    download = info.value
    text = Path(download.path()).read_text()
    return download.suggested_filename, list(csv.DictReader(io.StringIO(text)))


def test_the_table_view_shows_the_rows_and_is_reached_with_the_keyboard(context, panes) -> None:
    page, frames, _ = march_dashboard(context, panes, "alice")
    city = frames["Revenue by city"]
    toggle = city.locator("#panes-view-toggle")
    assert toggle.get_attribute("aria-pressed") == "false"

    # Tab from the last control before the grid walks into the first chart's tools.
    page.focus("input[name=theme]:checked")
    first = frames["Total revenue"]
    for _ in range(6):
        page.keyboard.press("Tab")
        if first.evaluate("document.hasFocus() && document.activeElement.id") == "panes-view-toggle":
            break
    else:
        raise AssertionError("Tab never reached the first chart's table button")
    outline = first.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none", "keyboard focus is not visible"

    toggle.focus()
    page.keyboard.press("Enter")
    city.wait_for_function("() => document.body.dataset.view === 'table'")
    assert toggle.get_attribute("aria-pressed") == "true"
    table = city.locator("#panes-data table")
    assert table.bounding_box()["height"] > 150  # shown, not just read out by screen readers
    assert city.evaluate("document.getElementById('panes-data').tabIndex") == 0  # it scrolls by keyboard
    shown = city.eval_on_selector_all("#panes-data tbody tr", "rows => rows.map(r => r.cells[0].textContent)")
    expected = panes.sql(CITY_SQL, ("acme", *MARCH))
    assert sorted(shown) == [row[0] for row in expected]
    screenshot(page, "table-view-revenue-by-city")

    page.keyboard.press("Tab")
    assert city.evaluate("document.activeElement.id") == "panes-download"
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Space")
    city.wait_for_function("() => document.body.dataset.view === 'chart'")


def test_the_csv_a_user_downloads_has_only_their_tenants_rows(context, panes) -> None:
    page, frames, calls = march_dashboard(context, panes, "alice")
    name, rows = download_csv(page, frames["Revenue by city"])

    assert name == "revenue-by-city-2026-03-01_2026-03-31.csv"
    expected = {city: (orders, revenue) for city, orders, revenue in panes.sql(CITY_SQL, ("acme", *MARCH))}
    assert {r["city"]: int(r["orders"]) for r in rows} == {city: orders for city, (orders, _) in expected.items()}
    for row in rows:
        assert abs(float(row["revenue"]) - expected[row["city"]][1]) < 0.01
    acme_total = sum(int(r["orders"]) for r in rows)
    assert acme_total == panes.sql(COUNT_SQL, ("acme", *MARCH))[0][0] != panes.sql(COUNT_SQL, ("globex", *MARCH))[0][0]

    # Money as a person writes it: no 540718.2499999999.
    assert all(re.fullmatch(r"-?\d+(\.\d{1,2})?", r["revenue"]) for r in rows), [r["revenue"] for r in rows]
    # No request of its own: the rows are those the chart fetched, with its token and dates.
    assert not [r for r in calls if ".csv" in r.url]
    requests = [r for r in calls if r.url.startswith(f"{panes.api_origin}/v0/pipes/sales_by_city.json")]
    assert requests
    for request in requests:
        assert f"date_from={MARCH[0]}" in request.url and f"date_to={MARCH[1]}" in request.url
        assert "company_id" not in request.url
        claims = jwt_claims(request.headers["authorization"].removeprefix("Bearer "))
        assert {s["fixed_params"]["company_id"] for s in claims["scopes"]} == {"acme"}


def test_the_table_view_shows_every_column_of_the_csv(context, panes) -> None:
    page, frames, _ = march_dashboard(context, panes, "alice")
    for title in ("Revenue by city", "Top products", "Revenue by day"):
        frame = frames[title]
        _, rows = download_csv(page, frame)
        frame.click("#panes-view-toggle")
        frame.wait_for_function("() => document.body.dataset.view === 'table'")
        headers = frame.eval_on_selector_all("#panes-data thead th", "cells => cells.map(c => c.textContent)")
        assert len(headers) == len(rows[0]) >= 2, (title, headers, list(rows[0]))
        assert [h.lower() for h in headers] == [name.replace("_", " ").lower() for name in rows[0]], title
    screenshot(page, "table-view-every-csv-column")


def test_bob_downloads_globex_rows(context, panes) -> None:
    page, frames, _ = march_dashboard(context, panes, "bob")
    _, rows = download_csv(page, frames["Orders by product"])
    assert sum(int(r["orders"]) for r in rows) == panes.sql(COUNT_SQL, ("globex", *MARCH))[0][0]


def test_a_fixed_param_sent_anyway_changes_nothing(context, panes) -> None:
    """Panes never forwards company_id, and the host puts the token's value over it regardless."""
    page = login(context, panes, "alice")
    calls = []
    page.on("request", lambda r: calls.append(r) if "/v0/pipes/" in r.url else None)
    page.goto(f"{panes.page_origin}/d/sales-overview/?company_id=globex&date_from={MARCH[0]}&date_to={MARCH[1]}")
    frames = chart_frames(page)
    acme_march = panes.sql(COUNT_SQL, ("acme", *MARCH))[0][0]
    assert kpi_value(frames["Orders"]) == acme_march
    assert "ignored: company_id" in page.inner_text(".controls__note")
    assert calls and all("company_id" not in r.url for r in calls)

    # Asked of the host directly, with alice's own token: the fixed value wins, JSON and CSV alike.
    token = calls[0].headers["authorization"].removeprefix("Bearer ")
    status, text = page.evaluate(
        """async ([api, token, from, to]) => {
            const r = await fetch(`${api}/v0/pipes/kpi_totals.csv?company_id=globex&date_from=${from}&date_to=${to}`,
                                  {headers: {Authorization: "Bearer " + token}});
            return [r.status, await r.text()];
        }""",
        [panes.api_origin, token, *MARCH],
    )
    assert status == 200
    [row] = list(csv.DictReader(io.StringIO(text)))
    assert int(row["orders"]) == acme_march
