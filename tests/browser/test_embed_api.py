"""The embed JS API (version 1) from a foreign origin, in a real browser: an intranet page on an
allowed origin loads embed.js from Panes, drives every action (setFilters, setTheme, refresh,
openDrill) and receives every event (ready, chart-click, filters-changed, drill, error, resize);
a page on a forbidden origin, which cannot frame Panes, opens the intranet page and posts actions
into its embed: nothing changes and it hears nothing. Screenshots: test-output/embed-api-*.png.
"""
from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from tests.support.browser import StaticSite

from .conftest import login, screenshot
from .test_dashboard_interactions import click_first_mark
from .test_demo_isolation import FRAME_READY_MS, tile_frame

EVENTS = ["ready", "chart-click", "filters-changed", "drill", "error", "resize"]

INTRANET = """<!doctype html><html lang="en"><head><title>Intranet</title></head><body>
<h1>Company intranet</h1>
<div id="board" data-panes-dashboard="sales-overview"></div>
<div id="broken" data-panes-dashboard="embed-api-errors"></div>
<script src="{panes}/static/charts/embed.js"></script>
<script>
window.__events = [];
window.__dom = [];
document.addEventListener("DOMContentLoaded", () => {{
  for (const id of ["board", "broken"]) {{
    const element = document.getElementById(id);
    const handle = PanesEmbed.get(element);
    for (const name of {events}) {{
      handle.on(name, (detail) => window.__events.push({{id, name, detail}}));
      element.addEventListener("panes:" + name, (event) => window.__dom.push({{id, name, detail: event.detail}}));
    }}
  }}
  window.board = document.getElementById("board").panes;
  // Sent before the embed is ready: embed.js holds it until then.
  if (location.search.includes("queue")) board.setTheme("dark");
}});
</script>
</body></html>"""

ATTACKER = """<!doctype html><html lang="en"><head><title>Not allowed</title></head><body>
<h1>Another site</h1>
<button id="go">Open the intranet</button>
<script>
window.__received = [];
window.addEventListener("message", (event) => window.__received.push({{origin: event.origin, data: event.data}}));
document.getElementById("go").addEventListener("click", () => {{
  const popup = window.open("{intranet}/index.html", "intranet");
  const actions = [
    {{type: "panes:action", version: 1, action: "setTheme", args: {{theme: "dark"}}}},
    {{type: "panes:action", version: 1, action: "setFilters", args: {{filters: {{city: "Paris", company_id: "globex"}}}}}},
    {{type: "panes:action", version: 1, action: "refresh", args: {{}}}},
    {{type: "panes:action", version: 1, action: "openDrill", args: {{chart: "{top}", path: ["Anvil"]}}}},
    {{type: "panes:theme", theme: "dark"}},
    {{type: "panes:filters", filters: {{date_from: "2020-01-01"}}}},
  ];
  const fake = {{type: "panes:event", version: 1, event: "error", detail: {{chart: 1, error: "forbidden", message: "fake"}}}};
  let rounds = 0;
  const timer = setInterval(() => {{
    rounds += 1;
    try {{
      for (const frame of [popup.frames[0], popup.frames[1]]) if (frame) for (const action of actions) frame.postMessage(action, "*");
      popup.postMessage(fake, "*");
    }} catch (error) {{ window.__received.push({{error: String(error)}}); }}
    window.__rounds = rounds;
    if (rounds >= 15) clearInterval(timer);
  }}, 200);
}});
</script>
</body></html>"""

ERRORS_BOARD = """
from charts import revisions
from charts.models import Chart, Dashboard, DashboardChart, Workspace
workspace = Workspace.objects.get(api_host="")
chart, _ = Chart.objects.update_or_create(workspace=workspace, title="No such pipe", defaults=dict(
    kind="panes", pipe_name="no_such_pipe", chart_type="bar", index_column="city", category_columns="revenue"))
board, _ = Dashboard.objects.update_or_create(slug="embed-api-errors", defaults=dict(title="Errors", visible_to_all=True))
board.tiles.all().delete()
DashboardChart.objects.create(dashboard=board, chart=chart, position=0, width=12)
revisions.bump()
"""


@pytest.fixture(scope="module")
def errors_board(panes) -> Iterator[None]:
    panes.manage("shell", "-c", ERRORS_BOARD)
    yield
    panes.manage("shell", "-c", "from charts.models import Dashboard, Chart; Dashboard.objects.filter(slug='embed-api-errors').delete(); Chart.objects.filter(title='No such pipe').delete()")


def intranet_site(tmp_path, port: int, panes) -> StaticSite:
    folder = tmp_path / f"site-{port}"
    folder.mkdir()
    (folder / "index.html").write_text(INTRANET.format(panes=panes.page_origin, events=EVENTS))
    return StaticSite(folder, port)


def events(page, name: str, element: str = "board") -> list:
    return page.evaluate("([id, name]) => window.__events.filter(e => e.id === id && e.name === name).map(e => e.detail)", [element, name])


def wait_event(page, name: str, count: int = 1, element: str = "board") -> list:
    # A page just opened may not have run the script that makes window.__events yet: wait for it too.
    page.wait_for_function(
        "([id, name, count]) => (window.__events || []).filter(e => e.id === id && e.name === name).length >= count",
        arg=[element, name, count],
        timeout=FRAME_READY_MS,
    )
    return events(page, name, element)


def embed_of(page):
    return next(f for f in page.frames if "/embed/sales-overview/" in f.url)


def chart_frame(page, title: str):
    return tile_frame(embed_of(page), title)


def refreshes(frame) -> int:
    return int(frame.evaluate("Number(document.body.dataset.refreshes || 0)"))


def test_an_allowed_page_drives_every_action_and_hears_every_event(context, panes, intranet_ports, tmp_path, errors_board) -> None:
    allowed, _ = intranet_ports
    page = login(context, panes, "alice")
    with intranet_site(tmp_path, allowed, panes):
        page.goto(f"http://localhost:{allowed}/index.html?queue")
        ready = wait_event(page, "ready")[0]
        assert ready["version"] == 1 and page.evaluate("PanesEmbed.API_VERSION") == 1
        assert ready["title"] == "Sales overview"
        assert ready["filters"] == {} and ready["period"] == "" and ready["compare"] == ""
        charts = {chart["title"]: chart["id"] for chart in ready["charts"]}
        assert len(charts) == 8 and "Top products" in charts
        assert wait_event(page, "resize")[0]["height"] > 200
        assert page.evaluate("window.__dom.some(e => e.id === 'board' && e.name === 'ready')")  # the DOM event too

        # setTheme, asked for before ready, was held and sent once the embed said it was ready.
        embed = embed_of(page)
        embed.wait_for_function("() => document.body.classList.contains('theme-dark')")

        # setFilters: replaces the filters, checked like the filter bar.
        page.evaluate("board.setFilters({date_from: '2026-01-01', date_to: '2026-01-31', company_id: 'globex'})")
        changed = wait_event(page, "filters-changed")[-1]
        assert changed == {"filters": {"date_from": "2026-01-01", "date_to": "2026-01-31"}, "period": "", "compare": ""}
        by_day = chart_frame(page, "Revenue by day")
        by_day.wait_for_function("() => (document.body.dataset.filters || '').includes('date_from=2026-01-01')")
        page.evaluate("board.setFilters({}, {period: 'last_7_days', compare: 'previous_period'})")
        changed = wait_event(page, "filters-changed", 2)[-1]
        assert changed["period"] == "last_7_days" and changed["compare"] == "previous_period"
        assert set(changed["filters"]) == {"date_from", "date_to"}
        page.evaluate("board.setFilters({date_from: '2026-02-30'})")  # refused: nothing changes
        page.wait_for_timeout(500)
        assert len(events(page, "filters-changed")) == 2

        # refresh: every chart fetches again.
        by_day.wait_for_function("() => document.body.dataset.state === 'ready'")
        before = refreshes(by_day)
        page.evaluate("board.refresh()")
        by_day.wait_for_function(f"() => Number(document.body.dataset.refreshes || 0) > {before}")

        # chart-click: a click on a bar inside the chart's own frame.
        by_city = chart_frame(page, "Revenue by city")
        click_first_mark(by_city)
        click = wait_event(page, "chart-click")[-1]
        city = by_city.evaluate("document.body.dataset.clicked")
        assert click == {"chart": charts["Revenue by city"], "title": "Revenue by city", "column": "city", "value": city}
        assert wait_event(page, "filters-changed", 3)[-1]["filters"]["city"] == city  # its cross-filter
        screenshot(page, "embed-api-chart-click")

        # openDrill: as if the viewer clicked; drill events on open and on close.
        product = "Anvil"
        page.evaluate(f"board.openDrill({charts['Top products']}, [{product!r}])")
        drill = wait_event(page, "drill")[-1]
        assert drill == {"chart": charts["Top products"], "title": "Top products", "path": [{"param": "product", "value": product}]}
        expect(embed.locator("[data-drill-panel]")).to_have_attribute("open", "")
        embed.frame_locator("[data-drill-panel] iframe").locator("body[data-state=ready]").wait_for()
        screenshot(page, "embed-api-open-drill")
        embed.locator("[data-drill-close]").click()
        assert wait_event(page, "drill", 2)[-1]["path"] == []

        # error: the other embed's chart reads a pipe the host does not have.
        error = wait_event(page, "error", element="broken")[0]
        assert error["error"] in {"not_found", "forbidden", "bad_request"} and error["chart"] > 0
        screenshot(page, "embed-api-events")


def test_a_forbidden_origin_gets_nothing_and_steers_nothing(context, panes, intranet_ports, tmp_path, errors_board) -> None:
    allowed, forbidden = intranet_ports
    page = login(context, panes, "alice")
    attacker_dir = tmp_path / "attacker"
    attacker_dir.mkdir()
    with intranet_site(tmp_path, allowed, panes):
        top = _top_products_id(context, panes)
        (attacker_dir / "index.html").write_text(ATTACKER.format(intranet=f"http://localhost:{allowed}", top=top))
        with StaticSite(attacker_dir, forbidden):
            page.goto(f"http://localhost:{forbidden}/index.html")
            with context.expect_page() as opened:
                page.click("#go")
            intranet = opened.value
            wait_event(intranet, "ready")
            page.wait_for_function("() => window.__rounds >= 15", timeout=10_000)
            intranet.wait_for_timeout(500)
            embed = embed_of(intranet)
            screenshot(intranet, "embed-api-forbidden-target")
            assert "theme-light" in embed.evaluate("document.body.className")
            assert not embed.evaluate("document.querySelector('[data-drill-panel]').open")
            heard = intranet.evaluate("window.__events")
            # Only what the embeds said of themselves: no event the attacker faked, no change it asked for.
            assert all(e["name"] in {"ready", "resize"} or (e["id"], e["name"]) == ("broken", "error") for e in heard), heard
            assert not any(e["detail"].get("message") == "fake" for e in heard if e["name"] == "error")
            by_day = chart_frame(intranet, "Revenue by day")
            assert "date_from" not in (by_day.evaluate("document.body.dataset.filters") or "")
            assert page.evaluate("window.__received") == []


def _top_products_id(context, panes) -> int:
    scratch = context.new_page()
    scratch.goto(f"{panes.page_origin}/d/sales-overview/")
    config = scratch.evaluate("JSON.parse(document.getElementById('panes-page-config').textContent)")
    scratch.close()
    return next(chart["id"] for chart in config["charts"] if chart["title"] == "Top products")
