"""An embed's language from the intranet page, in a real browser: ``data-locale="de"`` draws the
embedded dashboard in German (its page and its charts' figures), and ``handle.setLocale("pl")``
reloads it in Polish, keeping the filters the viewer set, with ``ready`` firing again.
Screenshot: test-output/embed-locale-pl.png.
"""
from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from tests.support.browser import StaticSite

from .conftest import login, screenshot
from .test_demo_isolation import FRAME_READY_MS, tile_frame
from .test_languages import euros, spaces_alike, title

INTRANET = """<!doctype html><html lang="en"><head><title>Intranet</title></head><body>
<h1>Company intranet</h1>
<div id="board" data-panes-dashboard="sales-overview" data-locale="de"
     data-filters="date_from=2026-03-01&amp;date_to=2026-03-31"></div>
<script src="{panes}/static/charts/embed.js"></script>
<script>
window.__events = [];
document.addEventListener("DOMContentLoaded", () => {{
  window.board = PanesEmbed.get(document.getElementById("board"));
  for (const name of ["ready", "filters-changed"]) board.on(name, (detail) => window.__events.push({{name, detail}}));
}});
</script>
</body></html>"""

REVENUE_SQL = "SELECT round(sum(amount), 2) FROM orders WHERE company_id = ? AND date >= ? AND date <= ?"


def wait_event(page, name: str, count: int) -> dict:
    page.wait_for_function(
        "([name, count]) => (window.__events || []).filter(e => e.name === name).length >= count", arg=[name, count], timeout=FRAME_READY_MS
    )
    return page.evaluate("(name) => window.__events.filter(e => e.name === name).at(-1).detail", name)


def embed_of(page, language: str):
    return next(f for f in page.frames if "/embed/sales-overview/" in f.url and f"locale={language}" in f.url and not f.is_detached())


def kpi_text(embed, title: str) -> str:
    """The figure of the embed's KPI tile titled ``title`` (the tile's and its frame's title both)."""
    return spaces_alike(tile_frame(embed, title).locator(".frame__kpi-value").inner_text())


def test_data_locale_and_set_locale_choose_the_embeds_language(context, panes, intranet_ports, tmp_path) -> None:
    allowed, _ = intranet_ports
    page = login(context, panes, "alice")  # the browser speaks English
    folder = tmp_path / "intranet"
    folder.mkdir()
    (folder / "index.html").write_text(INTRANET.format(panes=panes.page_origin))
    with StaticSite(folder, allowed):
        page.goto(f"http://localhost:{allowed}/index.html")
        wait_event(page, "ready", 1)
        german = embed_of(page, "de")
        assert german.evaluate("document.documentElement.lang") == "de"
        march = panes.sql(REVENUE_SQL, ("acme", "2026-03-01", "2026-03-31"))[0][0]
        assert kpi_text(german, title("total_revenue", "de")) == euros(march, "de", decimals=0)

        page.evaluate("board.setFilters({date_from: '2026-04-01', date_to: '2026-04-30'})")
        assert wait_event(page, "filters-changed", 1)["filters"] == {"date_from": "2026-04-01", "date_to": "2026-04-30"}

        page.evaluate("board.setLocale('pl')")
        ready = wait_event(page, "ready", 2)
        assert ready["filters"] == {"date_from": "2026-04-01", "date_to": "2026-04-30"}
        assert page.get_attribute("#board", "data-locale") == "pl"
        polish = embed_of(page, "pl")
        query = parse_qs(urlsplit(polish.url).query)
        assert query["locale"] == ["pl"] and query["date_from"] == ["2026-04-01"]
        assert polish.evaluate("document.documentElement.lang") == "pl"
        april = panes.sql(REVENUE_SQL, ("acme", "2026-04-01", "2026-04-30"))[0][0]
        assert kpi_text(polish, title("total_revenue", "pl")) == euros(april, "pl", decimals=0)
        # Its chart frames were asked for in Polish too.
        assert all("locale=pl" in frame.url for frame in polish.child_frames if "/frame/" in frame.url)
        page.wait_for_timeout(1500)  # ECharts' entry animation, for a screenshot a person can read
        screenshot(page, "embed-locale-pl")
