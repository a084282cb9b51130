"""The dashboard grid in a real browser: a chart that a refreshed token no longer covers becomes
the very tile the server draws for a chart that failed closed (charts/_tile.html, one markup)."""
from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from charts.models import DashboardChart, Membership, Tenant, TenantFilterRule, Workspace
from tests.charts.builders import KNOWN_KEY, make_chart, make_dashboard
from tests.charts.live_site import Host, browser_for, chromium_available, frame_titled
from tests.conftest import LOCAL_KEY_ENV

pytestmark = [pytest.mark.browser, pytest.mark.skipif(not chromium_available(), reason="needs Debian's chromium")]

# Every element of a tile as [tag, sorted attributes, children]; text trimmed, blank text dropped;
# the style attribute as the browser reads it, so "a: 1" and "a: 1;" compare equal.
SHAPE = """el => {
  const walk = n => {
    if (n.nodeType === Node.TEXT_NODE) return n.textContent.trim() ? n.textContent.trim() : null;
    if (n.nodeType !== Node.ELEMENT_NODE) return null;
    const attrs = Array.from(n.attributes, a => [a.name, a.name === "style" ? n.style.cssText : a.value]).sort();
    return [n.localName, attrs, Array.from(n.childNodes, walk).filter(c => c !== null)];
  };
  return walk(el);
}"""


@pytest.fixture
def world(live_server, transactional_db, monkeypatch):
    """Acme sees Sales and Regional (it has a region rule); alice is signed in, charts answer rows."""
    monkeypatch.setenv(LOCAL_KEY_ENV, KNOWN_KEY)
    workspace = Workspace.objects.create(name="Built-in", workspace_id="ws", signing_key_env=LOCAL_KEY_ENV)
    acme = Tenant.objects.create(name="Acme", slug="acme")
    TenantFilterRule.objects.create(tenant=acme, param="company_id", value="acme")
    TenantFilterRule.objects.create(tenant=acme, param="region", value="eu")
    alice = get_user_model().objects.create_user("alice", password="pw")
    Membership.objects.create(user=alice, tenant=acme)
    options = {"chart_type": "bar", "index_column": "city", "category_columns": "revenue"}
    sales = make_chart(workspace, "Sales", "sales_by_city", **options)
    regional = make_chart(workspace, "Regional <sales> & more", "sales_by_region", tenant_params="company_id,region", **options)
    board = make_dashboard("sales", acme, charts=[sales, regional])
    DashboardChart.objects.filter(dashboard=board, chart=regional).update(width=4, height=240)
    with browser_for(live_server, alice) as context:
        yield {"context": context, "url": live_server.url, "acme": acme, "sales": sales, "regional": regional}


def open_board(world):
    page = world["context"].new_page()
    page.route("**/v0/pipes/*", Host())
    page.goto(world["url"] + "/d/sales/")
    return page


def test_a_chart_the_refreshed_token_drops_becomes_the_servers_unconfigured_tile(world) -> None:
    page = open_board(world)
    sales = frame_titled(page, "Sales")
    frame_titled(page, "Regional <sales> & more")
    regional = f'.tile[data-chart="{world["regional"].pk}"]'
    assert page.locator(f"{regional} iframe").count() == 1
    order = page.eval_on_selector_all(".grid > .tile", "els => els.map(e => e.dataset.chart)")

    TenantFilterRule.objects.filter(tenant=world["acme"], param="region").delete()
    # A frame asks the page for a token (as one whose host refused it does): the page refreshes.
    sales.evaluate("() => window.parent.postMessage({type: 'panes:token-request'}, location.origin)")
    page.wait_for_selector(f'{regional}[data-state="unconfigured"]', timeout=10_000)

    assert page.locator(f"{regional} iframe").count() == 0
    assert page.eval_on_selector_all(".grid > .tile", "els => els.map(e => e.dataset.chart)") == order
    assert page.locator(f'.tile[data-chart="{world["sales"].pk}"] iframe[data-panes-frame]').count() == 1
    drawn = page.eval_on_selector(regional, SHAPE)

    # The same chart, drawn by the server now that the tenant has no region rule.
    served = open_board(world).eval_on_selector(regional, SHAPE)
    assert ["data-state", "unconfigured"] in served[1] and ["aria-label", "Regional <sales> & more"] in served[1]
    assert drawn == served
