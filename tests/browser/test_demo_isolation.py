"""The offline demo in a real browser: each person sees their own organisation's figures only.

Pages load from http://localhost:PORT; chart frames fetch rows from http://127.0.0.1:PORT, so
CORS and cookie behaviour are those of a real cross-origin chart host. Figures are checked against
queries run directly on the server's analytics database.
"""
from __future__ import annotations

import base64
import json

from .conftest import login, screenshot

ORDERS_SQL = "SELECT COUNT(*) FROM orders WHERE company_id = ?"
PRODUCT_ORDERS_SQL = (
    "SELECT product, COUNT(*) FROM orders WHERE company_id = ? GROUP BY product ORDER BY SUM(amount) DESC LIMIT 10"
)
FRAME_READY_MS = 20_000


def chart_frames(page) -> dict:
    """Panes chart frames of the page by chart title, once each has drawn (or failed)."""
    page.wait_for_load_state("networkidle")
    frames = {}
    for frame in page.frames:
        if "/frame/" not in frame.url:
            continue
        frame.wait_for_function("() => ['ready', 'empty', 'error'].includes(document.body.dataset.state)", timeout=FRAME_READY_MS)
        frames[frame.locator(".frame__title").inner_text()] = frame
    return frames


def tile_frame(host, title: str):
    """The chart frame of the tile titled ``title`` on ``host`` (a page, or an embed's frame), once
    it has drawn (or failed). Located by its tile, so a frame that is still being created or
    navigated (just after a reload) is waited for rather than missed."""
    iframe = f'.tile[aria-label="{title}"] iframe.tile__frame'
    settled = "body:is([data-state=ready], [data-state=empty], [data-state=error])"
    host.frame_locator(iframe).locator(settled).wait_for(timeout=FRAME_READY_MS)
    frame = host.locator(iframe).element_handle().content_frame()
    assert frame.locator(".frame__title").inner_text() == title  # the frame's own title is the tile's
    return frame


def whole_number(text: str) -> int:
    return int(text.replace(",", "").replace("\u202f", "").strip())


def kpi_value(frame) -> int:
    return whole_number(frame.locator(".frame__kpi-value").inner_text())


def accessible_rows(frame) -> list[list[str]]:
    return frame.eval_on_selector_all(
        "#panes-data tbody tr", "rows => rows.map(r => Array.from(r.cells).map(c => c.textContent))"
    )


def jwt_claims(token: str) -> dict:
    part = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def open_dashboard(context, panes, username: str, slug: str = "sales-overview"):
    page = login(context, panes, username)
    api_calls = []
    page.on("request", lambda r: api_calls.append(r) if "/v0/pipes/" in r.url else None)
    page.goto(f"{panes.page_origin}/d/{slug}/")
    return page, api_calls


def test_alice_sees_acme_figures_and_never_globex(context, panes) -> None:
    page, api_calls = open_dashboard(context, panes, "alice")
    frames = chart_frames(page)
    screenshot(page, "alice-sales-overview")

    acme_orders = panes.sql(ORDERS_SQL, ("acme",))[0][0]
    globex_orders = panes.sql(ORDERS_SQL, ("globex",))[0][0]
    assert acme_orders != globex_orders
    assert kpi_value(frames["Orders"]) == acme_orders
    assert all(f.evaluate("document.body.dataset.state") == "ready" for f in frames.values()), frames.keys()
    assert len(frames) == 8

    expected = [(product, count) for product, count in panes.sql(PRODUCT_ORDERS_SQL, ("acme",))]
    shown = [(row[0], whole_number(row[1])) for row in accessible_rows(frames["Orders by product"])]
    assert shown == expected

    # Every chart request went to the other origin, with a Bearer token fixed to Acme.
    assert api_calls and all(r.url.startswith(panes.api_origin) for r in api_calls)
    for request in api_calls:
        claims = jwt_claims(request.headers["authorization"].removeprefix("Bearer "))
        assert {s["fixed_params"]["company_id"] for s in claims["scopes"]} == {"acme"}


def test_bob_sees_globex_figures(context, panes) -> None:
    page, _ = open_dashboard(context, panes, "bob")
    frames = chart_frames(page)
    assert kpi_value(frames["Orders"]) == panes.sql(ORDERS_SQL, ("globex",))[0][0]
    assert kpi_value(frames["Orders"]) != panes.sql(ORDERS_SQL, ("acme",))[0][0]


def test_a_token_cannot_be_widened_from_the_browser(context, panes) -> None:
    """alice replays her own token from page script, asking for Globex: she still gets Acme."""
    page, api_calls = open_dashboard(context, panes, "alice")
    chart_frames(page)
    token = api_calls[0].headers["authorization"].removeprefix("Bearer ")
    answer = page.evaluate(
        """async ([api, token]) => {
            const r = await fetch(api + "/v0/pipes/kpi_totals.json?company_id=globex",
                                  {headers: {Authorization: "Bearer " + token}});
            return [r.status, await r.json()];
        }""",
        [panes.api_origin, token],
    )
    status, body = answer
    assert status == 200
    assert body["data"][0]["orders"] == panes.sql(ORDERS_SQL, ("acme",))[0][0]


def test_carol_switches_tenant_and_the_figures_change(context, panes) -> None:
    page, _ = open_dashboard(context, panes, "carol")
    first = kpi_value(chart_frames(page)["Orders"])
    current = page.locator("#tenant-switch option:checked").inner_text()
    other = "Globex" if current == "Acme" else "Acme"
    with page.expect_navigation():
        page.select_option("#tenant-switch", label=other)
    page.goto(f"{panes.page_origin}/d/sales-overview/")
    second = kpi_value(chart_frames(page)["Orders"])
    screenshot(page, "carol-after-switch")
    expected = {name: panes.sql(ORDERS_SQL, (name.lower(),))[0][0] for name in ("Acme", "Globex")}
    assert (first, second) == (expected[current], expected[other])


def test_dave_sees_not_configured_tiles_and_no_data(context, panes) -> None:
    page, api_calls = open_dashboard(context, panes, "dave")
    page.wait_for_load_state("networkidle")
    screenshot(page, "dave-not-configured")
    tiles = page.locator(".tile")
    assert tiles.count() == 8
    assert page.locator(".tile--unconfigured").count() == 8
    assert "not configured for your organisation" in page.locator(".tile").first.inner_text().lower()
    assert page.locator("iframe").count() == 0
    assert api_calls == []


def test_acme_only_dashboard_is_hidden_from_bob(context, panes) -> None:
    page = login(context, panes, "bob")
    response = page.goto(f"{panes.page_origin}/d/acme-operations/")
    assert response.status == 404
    assert "Monthly revenue" not in page.content()
