"""embed.js on an intranet page (another origin, the same site): one script tag, several elements,
options as query parameters, iframes sized by the embed's own measurements, and messages that
count only from Panes' origin and the element's own iframe."""
from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.auth import get_user_model

from charts.models import Membership, Tenant, TenantFilterRule, Workspace
from tests.charts.builders import KNOWN_KEY, make_chart, make_dashboard
from tests.charts.live_site import Host, browser_for, chromium_available
from tests.support.browser import StaticSite
from tests.conftest import LOCAL_KEY_ENV

pytestmark = [pytest.mark.browser, pytest.mark.skipif(not chromium_available(), reason="needs Debian's chromium")]

PAGE = """<!doctype html><html lang="en"><head><title>Intranet</title>
<style>body {{ margin: 0; font-family: sans-serif; }} main {{ padding: 16px; }}</style></head>
<body><main><h1>Company intranet</h1>
<div id="board" data-panes-dashboard="sales" data-theme="dark"
     data-filters="date_from=2026-03-01&amp;date_to=2026-03-31&amp;company_id=globex"></div>
<p>Between the embeds</p>
<template id="later"><div id="one" data-panes-chart="{chart}" data-titled="false" data-date-from="2026-02-01" data-title="Revenue, one chart"></div></template>
</main>
<script src="{panes}/static/charts/embed.js" async></script>
<script src="{panes}/static/charts/embed.js" async></script>
</body></html>"""


@pytest.fixture
def world(live_server, transactional_db, monkeypatch, settings, tmp_path):
    monkeypatch.setenv(LOCAL_KEY_ENV, KNOWN_KEY)
    workspace = Workspace.objects.create(name="Built-in", workspace_id="ws", signing_key_env=LOCAL_KEY_ENV)
    acme = Tenant.objects.create(name="Acme", slug="acme")
    TenantFilterRule.objects.create(tenant=acme, param="company_id", value="acme")
    alice = get_user_model().objects.create_user("alice", password="pw")
    Membership.objects.create(user=alice, tenant=acme)
    revenue = make_chart(workspace, "Revenue by city", "sales_by_city", chart_type="bar", index_column="city",
                         category_columns="revenue", filter_params="date_from,date_to")
    orders = make_chart(workspace, "Orders by city", "orders_by_city", chart_type="bar", index_column="city",
                        category_columns="revenue")
    board = make_dashboard("sales", acme, charts=[revenue, orders])
    board.title = "Sales"
    board.save()
    with StaticSite(tmp_path, 0) as site:
        settings.PANES_EMBED_ALLOWED_ORIGINS = [site.origin]
        (tmp_path / "index.html").write_text(PAGE.format(chart=revenue.pk, panes=live_server.url))
        with browser_for(live_server, alice) as context:
            host = Host()
            page = context.new_page()
            page.route("**/v0/pipes/*", host)
            yield {"page": page, "host": host, "site": site, "panes": live_server.url, "revenue": revenue}


def open_intranet(world):
    """The intranet page, with its second element added once the first embed has drawn: the
    script picks up elements added later (and the test database takes one writer at a time)."""
    page = world["page"]
    page.goto(world["site"].origin + "/index.html")
    page.wait_for_function("() => document.querySelector('#board').dataset.panesHeight > 0")
    for frame in chart_frames(embed_frame(page, "/embed/sales/")):
        frame.wait_for_function("() => ['ready', 'error'].includes(document.body.dataset.state)")
    page.evaluate("document.querySelector('main').append(document.querySelector('#later').content.cloneNode(true))")
    page.wait_for_function("() => document.querySelectorAll('iframe.panes-embed').length === 2")
    page.wait_for_function("() => document.querySelector('#one').dataset.panesHeight > 0")
    return page


def embed_frame(page, path: str):
    return next(f for f in page.frames if urlsplit(f.url).path == path)


def chart_frames(embed) -> list:
    return [f for f in embed.child_frames if "/frame/" in f.url]


def height(page, selector: str) -> int:
    return page.eval_on_selector(selector, "el => Math.round(el.querySelector('iframe').getBoundingClientRect().height)")


def test_one_script_tag_frames_every_element_with_its_options(world) -> None:
    page = open_intranet(world)
    board_src, one_src = page.eval_on_selector_all("iframe.panes-embed", "els => els.map(e => e.src)")
    board, one = urlsplit(board_src), urlsplit(one_src)
    assert f"{board.scheme}://{board.netloc}" == world["panes"]  # Panes' origin, from the script's own src
    assert board.path == "/embed/sales/"
    assert parse_qs(board.query) == {
        "date_from": ["2026-03-01"], "date_to": ["2026-03-31"], "company_id": ["globex"], "theme": ["dark"], "autosize": ["1"],
    }
    assert one.path == f"/embed/chart/{world['revenue'].pk}/"
    assert parse_qs(one.query) == {"date_from": ["2026-02-01"], "theme": ["light"], "titled": ["0"], "autosize": ["1"]}
    # Loaded twice, the script still made one iframe per element.
    assert page.locator("#board iframe").count() == 1 and page.locator("#one iframe").count() == 1

    # Named for screen readers: the dashboard's own title once the embed has said it.
    assert page.get_attribute("#board iframe", "title") == "Sales"
    assert page.get_attribute("#one iframe", "title") == "Revenue, one chart"

    embed = embed_frame(page, "/embed/sales/")
    assert "theme-dark" in embed.evaluate("document.body.className")
    for frame in chart_frames(embed):
        frame.wait_for_function("() => document.body.dataset.state === 'ready'")
        assert "theme-dark" in frame.evaluate("document.body.className")
    # Every request of the embed's revenue chart kept the range, including after the frame's
    # ready handshake with the embed page.
    page.wait_for_timeout(300)
    revenue = next(f for f in chart_frames(embed) if f.title() == "Revenue by city")
    urls = revenue.evaluate("() => performance.getEntriesByType('resource').map(e => e.name).filter(n => n.includes('/v0/pipes/'))")
    assert urls and all("date_from=2026-03-01&date_to=2026-03-31" in url for url in urls), urls
    # The offered date range reached the chart that declares it; the tenant param never left Panes.
    revenue_queries = [r["query"] for r in world["host"].for_pipe("sales_by_city")]
    assert {"date_from": ["2026-03-01"], "date_to": ["2026-03-31"]} in revenue_queries
    assert all("company_id" not in r["query"] for r in world["host"].requests)
    assert all(r["query"] == {} for r in world["host"].for_pipe("orders_by_city"))


def test_the_iframe_follows_the_embeds_height_as_it_grows_and_shrinks(world) -> None:
    page = open_intranet(world)
    embed = embed_frame(page, "/embed/sales/")
    wide = height(page, "#board")
    assert wide > 250  # measured, not the 200 px placeholder
    assert abs(wide - embed.evaluate("Math.ceil(document.body.getBoundingClientRect().height)")) <= 1
    assert embed.evaluate("document.documentElement.scrollHeight <= innerHeight")  # no inner scrollbar

    page.set_viewport_size({"width": 600, "height": 900})  # tiles stack: the embed grows
    page.wait_for_function(f"() => document.querySelector('#board iframe').getBoundingClientRect().height > {wide + 200}")
    page.set_viewport_size({"width": 1100, "height": 900})  # and shrinks back
    page.wait_for_function(f"() => Math.abs(document.querySelector('#board iframe').getBoundingClientRect().height - {wide}) <= 1")


def test_resize_messages_count_only_from_panes_and_the_elements_own_iframe(world) -> None:
    page = open_intranet(world)
    board_height = height(page, "#board")
    # The intranet page itself (the wrong origin) cannot resize an embed.
    page.evaluate("window.postMessage({type: 'panes:resize', height: 5}, '*')")
    # Panes' single-chart embed can resize only its own iframe, not the dashboard's.
    one = embed_frame(page, f"/embed/chart/{world['revenue'].pk}/")
    one.evaluate("parent.postMessage({type: 'panes:resize', height: 77}, '*')")
    page.wait_for_function("() => Math.round(document.querySelector('#one iframe').getBoundingClientRect().height) === 77")
    page.wait_for_timeout(200)
    assert height(page, "#board") == board_height


def test_changing_attributes_updates_the_embed_without_reloading_it(world) -> None:
    page = open_intranet(world)
    embed = embed_frame(page, "/embed/sales/")
    for frame in chart_frames(embed):
        frame.wait_for_function("() => document.body.dataset.state === 'ready'")
    embed.evaluate("window.__stayed = true")
    asked_before = len(world["host"].requests)

    page.eval_on_selector("#board", "el => { el.dataset.dateFrom = '2026-05-01'; el.dataset.dateTo = '2026-05-31'; el.dataset.theme = 'light'; }")
    embed.wait_for_function("() => document.body.classList.contains('theme-light')")
    revenue = next(f for f in chart_frames(embed) if "Revenue" in f.title())
    revenue.wait_for_function("() => document.body.classList.contains('theme-light') && document.body.dataset.filters === 'date_from=2026-05-01&date_to=2026-05-31'")
    page.wait_for_timeout(300)
    asked = [r["query"] for r in world["host"].requests[asked_before:] if "sales_by_city" in r["path"]]
    assert {"date_from": ["2026-05-01"], "date_to": ["2026-05-31"]} in asked
    assert embed.evaluate("window.__stayed") is True  # the embed page was not reloaded

    # A switch that changes the page's layout reloads it with the new address.
    page.eval_on_selector("#board", "el => { el.dataset.bordered = 'false'; }")
    page.wait_for_function("() => document.querySelector('#board iframe').src.includes('bordered=0')")
    page.wait_for_function("() => document.querySelector('#board iframe').src.includes('date_from=2026-05-01')")
