"""The issue's "done when": an intranet page on another origin embeds a dashboard with ONE script
tag, the person is signed in by the intranet's trusted header (no password typed anywhere), and
changing theme and date range on the intranet page restyles the charts and changes the figures,
while the iframe keeps the height of its content.

Three parties, as in production:

- the intranet page: http://localhost:<intranet>, a static site listed in PANES_EMBED_ALLOWED_ORIGINS;
- Panes behind the single sign-on proxy: http://localhost:<proxy> (tests/browser/sso_proxy.py adds
  X-Remote-User and connects from 127.0.0.2, the one address the server trusts); embed.js and the
  embed iframe come from here. Both are localhost, so the iframe is same-site and the Lax session
  cookie flows;
- the pipe API, straight to the server: http://127.0.0.1:<port>.
"""
from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

from tests.support.browser import ReservedPort, StaticSite

from .conftest import PanesServer, screenshot, start_server, stop_server
from .sso_proxy import SsoProxy, intranet_only
from .test_demo_isolation import ORDERS_SQL, kpi_value, tile_frame

MARCH_SQL = "SELECT COUNT(*) FROM orders WHERE company_id = ? AND date >= '2026-03-01' AND date <= '2026-03-31'"
FRAME_READY_MS = 20_000

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Acme intranet</title>
<style>
  body {{ margin: 0; font: 15px/1.5 Georgia, serif; background: #efe9dd; color: #222; }}
  header {{ background: #7a1f1f; color: #fff; padding: 14px 28px; font-size: 20px; }}
  .layout {{ display: flex; gap: 24px; padding: 24px 28px; }}
  nav {{ flex: 0 0 180px; }} nav a {{ display: block; color: #7a1f1f; margin-bottom: 8px; }}
  article {{ flex: 1; min-width: 0; background: #fff; padding: 20px; border: 1px solid #d8cfbd; }}
  .tools {{ display: flex; gap: 16px; align-items: center; margin: 12px 0 16px; }}
</style></head>
<body>
<header>Acme intranet</header>
<div class="layout">
  <nav><a href="#">News</a><a href="#">Canteen</a><a href="#">Sales figures</a></nav>
  <article>
    <h1>Sales figures</h1>
    <div class="tools">
      <label>Period <select id="period"><option value="">Whole year</option><option value="march">March 2026</option></select></label>
      <button type="button" id="dark">Dark charts</button>
    </div>
    <div id="sales" data-panes-dashboard="sales-overview" data-theme="light" data-bordered="false"></div>
    <p>Questions? Ask the sales office.</p>
  </article>
</div>
<script>
  // The intranet's own page script: it only sets data attributes, embed.js does the rest.
  const sales = document.getElementById("sales");
  document.getElementById("period").addEventListener("change", (event) => {{
    if (event.target.value === "march") {{ sales.dataset.dateFrom = "2026-03-01"; sales.dataset.dateTo = "2026-03-31"; }}
    else {{ delete sales.dataset.dateFrom; delete sales.dataset.dateTo; }}
  }});
  document.getElementById("dark").addEventListener("click", () => {{ sales.dataset.theme = "dark"; }});
</script>
<script src="{panes}/static/charts/embed.js" async></script>
</body></html>
"""


@pytest.fixture(scope="module")
def intranet_port() -> Iterator[int]:
    port = ReservedPort()
    yield port
    port.release()


@pytest.fixture(scope="module")
def sso_panes(tmp_path_factory, intranet_port) -> Iterator[PanesServer]:
    server = start_server(
        tmp_path_factory.mktemp("panes-intranet"),
        PANES_SSO_ENABLED="true",
        PANES_SSO_HEADER="X-Remote-User",
        PANES_SSO_GROUPS_HEADER="X-Remote-Groups",
        PANES_SSO_TRUSTED_PROXIES="127.0.0.2",
        PANES_EMBED_ALLOWED_ORIGINS=f"http://localhost:{intranet_port}",
    )
    intranet_only(server, "alice")
    yield server
    stop_server(server)


def embed_frame(page):
    return next(f for f in page.frames if urlsplit(f.url).path == "/embed/sales-overview/")


def ready_charts(embed) -> dict:
    """The embed's chart frames by title, each drawn with data."""
    titles = embed.eval_on_selector_all("iframe.tile__frame", "frames => frames.map(f => f.closest('.tile').getAttribute('aria-label'))")
    frames = {title: tile_frame(embed, title) for title in titles}
    for frame in frames.values():
        frame.wait_for_function("() => document.body.dataset.state === 'ready'", timeout=FRAME_READY_MS)
    return frames


def iframe_height(page) -> int:
    return page.eval_on_selector("#sales iframe", "el => Math.round(el.getBoundingClientRect().height)")


def test_an_intranet_page_embeds_a_dashboard_with_one_script_tag(context, sso_panes, intranet_port, tmp_path) -> None:
    intranet = f"http://localhost:{intranet_port}"
    with SsoProxy(sso_panes.port, user="alice") as proxy:
        (tmp_path / "index.html").write_text(PAGE.format(panes=proxy.origin))
        with StaticSite(tmp_path, intranet_port):
            page = context.new_page()
            page.goto(f"{intranet}/index.html")
            page.wait_for_function("() => Number(document.querySelector('#sales').dataset.panesHeight) > 600")
            embed = embed_frame(page)
            frames = ready_charts(embed)

            # Signed in by the trusted header: no login page, no password, alice's Acme figures.
            assert not any(path.startswith("/login/") for _, path in proxy.requests)
            assert ("GET", "/static/charts/embed.js") in proxy.requests
            assert len(frames) == 8
            acme_orders = sso_panes.sql(ORDERS_SQL, ("acme",))[0][0]
            assert kpi_value(frames["Orders"]) == acme_orders
            assert page.get_attribute("#sales iframe", "title") == "Sales overview"
            assert page.get_attribute("#sales iframe", "src").startswith(f"{proxy.origin}/embed/sales-overview/?")

            # The iframe is exactly as tall as the embed's content: no inner scrollbar, no gap.
            height = iframe_height(page)
            assert abs(height - embed.evaluate("Math.ceil(document.body.getBoundingClientRect().height)")) <= 1
            assert "embed--borderless" in embed.evaluate("document.body.className")
            screenshot(page, "intranet-light")

            # The intranet's own controls: dark charts, then March only. No reload of the embed.
            embed.evaluate("window.__stayed = true")
            page.click("#dark")
            embed.wait_for_function("() => document.body.classList.contains('theme-dark')")
            for frame in frames.values():
                frame.wait_for_function("() => document.body.classList.contains('theme-dark')")
            page.select_option("#period", "march")
            march = sso_panes.sql(MARCH_SQL, ("acme",))[0][0]
            assert march != acme_orders
            frames["Orders"].wait_for_function(
                f"() => document.querySelector('.frame__kpi-value') && "
                f"document.querySelector('.frame__kpi-value').textContent.replace(/[^0-9]/g, '') === '{march}'"
            )
            assert kpi_value(frames["Orders"]) == march
            assert embed.evaluate("window.__stayed") is True
            page.wait_for_timeout(1200)  # let the charts' drawing animation finish for the picture
            screenshot(page, "intranet-dark-march")

            # A narrower intranet column stacks the tiles: the iframe grows with its content.
            page.set_viewport_size({"width": 820, "height": 2400})
            page.wait_for_function(f"() => document.querySelector('#sales iframe').getBoundingClientRect().height > {height + 300}")
            page.wait_for_timeout(300)
            taller = iframe_height(page)
            assert abs(taller - embed.evaluate("Math.ceil(document.body.getBoundingClientRect().height)")) <= 1
            screenshot(page, "intranet-narrow")
