"""Tinybird's React chart library (``@tinybirdco/charts``) draws from the built-in host.

A test-only page (tests/clients/charts_page/, bundled here with esbuild) is served from another
origin, ``http://localhost:<port>``, and reads ``http://127.0.0.1:<live server port>/v0/pipes/``
with a token Panes minted for one tenant: the library puts it in the query string (``?token=``,
with ``from=chart``), so CORS is exercised for real. Chromium is Debian's, driven by Playwright.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from pipes.engine import Engine
from tests.support.browser import CHROMIUM, CHROMIUM_ARGS, StaticSite

from .conftest import expected, mint

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
SOURCE = Path(__file__).parent / "charts_page"
ESBUILD = ROOT / "node_modules" / ".bin" / "esbuild"
LIBRARY = ROOT / "node_modules" / "@tinybirdco" / "charts"
# The library's first series colour (#27F795): pixels of it are the chart's own bars and lines.
SERIES_RGB = (0x27, 0xF7, 0x95)
COUNT_SERIES_PIXELS = """([selector, rgb]) => {
    const canvas = document.querySelector(selector + ' canvas');
    if (!canvas) return -1;
    const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    let count = 0;
    for (let i = 0; i < pixels.length; i += 4) {
        if (Math.abs(pixels[i] - rgb[0]) < 24 && Math.abs(pixels[i + 1] - rgb[1]) < 24
            && Math.abs(pixels[i + 2] - rgb[2]) < 24) count++;
    }
    return count;
}"""


@pytest.fixture(scope="session")
def charts_page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The page, bundled into a folder of this test process (nothing built is committed)."""
    if not ESBUILD.exists() or not LIBRARY.is_dir():
        pytest.fail("node_modules lacks esbuild or @tinybirdco/charts: `make test` runs npm ci")
    folder = tmp_path_factory.mktemp("charts_page")
    subprocess.run(
        [
            str(ESBUILD),
            str(SOURCE / "main.jsx"),
            "--bundle",
            "--format=iife",
            "--minify",
            '--define:process.env.NODE_ENV="production"',
            f"--outfile={folder / 'app.js'}",
            "--log-level=warning",
        ],
        cwd=ROOT,
        check=True,
        timeout=120,
    )
    shutil.copy(SOURCE / "index.html", folder / "index.html")
    return folder


@pytest.fixture(scope="module")
def site(charts_page: Path) -> Iterator[StaticSite]:
    with StaticSite(charts_page, 0) as served:
        yield served


@pytest.fixture(scope="module")
def browser() -> Iterator:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium package")
    from playwright.sync_api import sync_playwright

    # Playwright's loop counts as running in this thread; the live server's database teardown
    # runs here too.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            yield launched
            launched.close()
    finally:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


@pytest.fixture
def api(live_server, host: Engine) -> str:
    """The host on 127.0.0.1: another origin than the page's localhost."""
    return f"http://127.0.0.1:{urlsplit(live_server.url).port}"


class Drawn:
    """A loaded page and every pipe request it made, with its response."""

    def __init__(self, page, exchanges: list) -> None:
        self.page = page
        self.exchanges = exchanges

    def to(self, pipe: str) -> list:
        """(request, response) pairs for ``pipe``, preflights left out."""
        return [
            (request, response)
            for request, response in self.exchanges
            if urlsplit(request.url).path == f"/v0/pipes/{pipe}.json" and request.method != "OPTIONS"
        ]

    def series_pixels(self, chart: str) -> int:
        return self.page.evaluate(COUNT_SERIES_PIXELS, [f'[data-chart="{chart}"]', list(SERIES_RGB)])

    def table(self) -> list[list[str]]:
        return self.page.eval_on_selector_all(
            '[data-chart="table"] tbody tr',
            "rows => rows.map(row => [...row.querySelectorAll('td')].map(td => td.textContent.trim()).filter(Boolean))",
        )


@contextmanager
def draw(browser, site: StaticSite, api: str, token: str, params: dict | None = None) -> Iterator[Drawn]:
    context = browser.new_context(viewport={"width": 900, "height": 900}, locale="en-US")
    try:
        page = context.new_page()
        exchanges: list = []
        page.on("requestfinished", lambda request: exchanges.append((request, request.response())))
        page.on("requestfailed", lambda request: exchanges.append((request, None)))
        fragment = urlencode({"api": api, "token": token, **({"params": json.dumps(params)} if params else {})})
        page.goto(f"{site.origin}/index.html#{fragment}")
        page.wait_for_function(
            "() => ['daily', 'by_city'].every(name => name in window.chartOutcomes)", timeout=20_000
        )
        page.wait_for_load_state("networkidle")
        yield Drawn(page, exchanges)
    finally:
        context.close()


def screenshot(drawn: Drawn, output: Path, name: str) -> None:
    drawn.page.screenshot(path=str(output / f"{name}.png"), full_page=True)


def outcomes(drawn: Drawn) -> dict[str, str]:
    return drawn.page.evaluate("() => window.chartOutcomes")


@pytest.mark.parametrize("tenant", ["acme", "globex"])
def test_the_charts_draw_their_tenants_rows_from_another_origin(browser, site, api, tenant, output):
    token = mint(tenant)
    with draw(browser, site, api, token) as drawn:
        screenshot(drawn, output, f"clients-tinybird-charts-{tenant}")
        assert outcomes(drawn) == {"daily": "ok", "by_city": "ok"}
        for pipe, by in (("cl_daily", "date"), ("cl_by_city", "city")):
            exchanges = drawn.to(pipe)
            assert len(exchanges) == 1, pipe  # the bar chart and the table share one request
            request, response = exchanges[0]
            query = parse_qs(urlsplit(request.url).query)
            assert query["token"] == [token] and query["from"] == ["chart"]
            assert request.all_headers()["origin"] == site.origin  # cross-origin, as from any web app
            assert response.status == 200
            assert response.all_headers()["access-control-allow-origin"] == "*"
            body = response.json()
            assert body["data"] == expected(tenant, by)
            assert [column["name"] for column in body["meta"]] == [by, "total"]
            assert body["rows"] == len(body["data"]) and "rows_read" in body["statistics"]
        # The line and the bars are on the canvases (not only titles and axes), and the table
        # lists exactly the tenant's cities with their totals.
        assert drawn.series_pixels("daily") > 100
        assert drawn.series_pixels("by_city") > 1000
        assert drawn.table() == [[row["city"], f"{row['total']:g}"] for row in expected(tenant, "city")]


def test_the_query_string_cannot_undo_the_tokens_tenant(browser, site, api):
    with draw(browser, site, api, mint("acme"), params={"company_id": "globex"}) as drawn:
        request, response = drawn.to("cl_daily")[0]
        assert parse_qs(urlsplit(request.url).query)["company_id"] == ["globex"]
        assert response.json()["data"] == expected("acme", "date")


def test_a_pipe_the_token_does_not_name_shows_the_hosts_refusal(browser, site, api, output):
    with draw(browser, site, api, mint("acme", pipes=("cl_daily",))) as drawn:
        screenshot(drawn, output, "clients-tinybird-charts-refused")
        _, response = drawn.to("cl_by_city")[0]
        assert response.status == 403
        assert response.all_headers()["access-control-allow-origin"] == "*"  # else the page sees no reason
        reason = response.json()["error"]
        assert "PIPES:READ" in reason
        # The library shows the host's JSON error as its message; the other chart still draws.
        assert outcomes(drawn) == {"daily": "ok", "by_city": f"Error: {json.dumps({'error': reason})}"}
        assert reason in drawn.page.inner_text('[data-chart="by_city"]')
        assert drawn.series_pixels("daily") > 100


def test_a_long_query_string_is_sent_as_a_json_post_and_still_filters(browser, site, api, output):
    """Past 2,048 characters of URL the library keeps ``token`` and ``from`` in the query string
    and POSTs the other params as a JSON body (a preflighted CORS request)."""
    cities = ",".join(["Berlin", "Paris", *(f"Nowhere{i:03d}" for i in range(80))])
    params = {"cities": cities[:1000].rsplit(",", 1)[0], "note": "x" * 900}
    with draw(browser, site, api, mint("acme"), params=params) as drawn:
        screenshot(drawn, output, "clients-tinybird-charts-post")
        request, response = drawn.to("cl_daily")[0]
        assert request.method == "POST" and request.all_headers()["content-type"] == "application/json"
        # (The library deletes from the URL while it walks it, so it moves every other param.)
        assert json.loads(request.post_data or "{}")["cities"] == params["cities"]
        assert "cities" not in parse_qs(urlsplit(request.url).query)
        assert response.status == 200, response.text()
        assert response.json()["data"] == [
            row for row in expected("acme", "date") if row["date"] != "2024-01-04"  # Lyon's day
        ]
