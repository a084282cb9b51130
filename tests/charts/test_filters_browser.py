"""The filter bar in a real browser: values go to the frames that declare them without a reload,
the address follows for sharing, and nothing the page did not offer is ever forwarded."""
from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from charts.models import Membership, Tenant, TenantFilterRule, Workspace
from tests.charts.builders import KNOWN_KEY, make_chart, make_dashboard
from tests.charts.live_site import Host, browser_for, chromium_available, frame_titled as frame
from tests.conftest import LOCAL_KEY_ENV

pytestmark = [pytest.mark.browser, pytest.mark.skipif(not chromium_available(), reason="needs Debian's chromium")]


@pytest.fixture
def world(live_server, transactional_db, monkeypatch):
    monkeypatch.setenv(LOCAL_KEY_ENV, KNOWN_KEY)
    workspace = Workspace.objects.create(name="Built-in", workspace_id="ws", signing_key_env=LOCAL_KEY_ENV)
    acme = Tenant.objects.create(name="Acme", slug="acme")
    TenantFilterRule.objects.create(tenant=acme, param="company_id", value="acme")
    alice = get_user_model().objects.create_user("alice", password="pw")
    Membership.objects.create(user=alice, tenant=acme)
    sales = make_chart(workspace, "Sales", "sales_by_city", chart_type="bar", index_column="city", category_columns="revenue",
                       filter_params="date_from,date_to,city,company_id")
    catalogue = make_chart(workspace, "Catalogue", "catalogue", chart_type="table", index_column="city", category_columns="revenue")
    make_dashboard("sales", acme, charts=[sales, catalogue])
    with browser_for(live_server, alice) as context:
        host = Host()
        page = context.new_page()
        page.route("**/v0/pipes/*", host)
        yield {"page": page, "host": host, "url": live_server.url}




def ready(page) -> None:
    page.wait_for_load_state("networkidle")
    for title in ("Sales", "Catalogue"):
        frame(page, title).wait_for_function("() => document.body.dataset.state === 'ready'")


def test_initial_values_come_from_the_address(world) -> None:
    page = world["page"]
    page.goto(world["url"] + "/d/sales/?date_from=2026-03-01&city=Paris")
    ready(page)
    assert world["host"].for_pipe("sales_by_city")[0]["query"] == {"date_from": ["2026-03-01"], "city": ["Paris"]}
    assert world["host"].for_pipe("catalogue")[0]["query"] == {}
    assert page.input_value("#filter-date_from") == "2026-03-01"
    assert page.input_value("#filter-city") == "Paris"


def test_changing_the_range_refetches_without_reload_and_updates_the_address(world) -> None:
    page = world["page"]
    page.goto(world["url"] + "/d/sales/")
    ready(page)
    page.evaluate("window.__stayed = true")
    frame(page, "Sales").evaluate("window.__stayed = true")
    before = len(world["host"].requests)

    page.fill("#filter-date_from", "2026-03-01")
    page.fill("#filter-date_to", "2026-03-31")
    page.fill("#filter-city", "Rome")
    page.press("#filter-city", "Enter")
    page.wait_for_function("() => location.search.includes('city=Rome')")
    frame(page, "Sales").wait_for_function("() => document.body.dataset.filters === 'city=Rome&date_from=2026-03-01&date_to=2026-03-31'")
    page.wait_for_timeout(300)

    assert page.url.endswith("/d/sales/?date_from=2026-03-01&date_to=2026-03-31&city=Rome")
    assert page.evaluate("window.__stayed") and frame(page, "Sales").evaluate("window.__stayed"), "a reload"
    latest = world["host"].for_pipe("sales_by_city")[-1]["query"]
    assert latest == {"city": ["Rome"], "date_from": ["2026-03-01"], "date_to": ["2026-03-31"]}
    assert all(r["query"] == {} for r in world["host"].for_pipe("catalogue"))  # it declares nothing
    assert len(world["host"].requests) > before

    page.click("[data-filters-clear]")
    page.wait_for_function("() => location.search === ''")
    frame(page, "Sales").wait_for_function("() => !document.body.dataset.filters")


def test_a_bad_range_is_refused_in_the_page_with_a_message(world) -> None:
    page = world["page"]
    page.goto(world["url"] + "/d/sales/")
    ready(page)
    count = len(world["host"].for_pipe("sales_by_city"))
    page.fill("#filter-date_from", "2026-04-01")
    page.fill("#filter-date_to", "2026-03-01")
    page.wait_for_selector("[data-filter-error=date_to]:not([hidden])")
    assert "must be on or after the start date" in page.inner_text("[data-filter-error=date_to]")
    assert page.get_attribute("#filter-date_to", "aria-invalid") == "true"
    page.wait_for_timeout(300)
    assert "date_to" not in page.url
    assert all("date_to" not in r["query"] for r in world["host"].for_pipe("sales_by_city")[count:])


def test_a_tenant_param_is_never_forwarded_however_it_is_asked_for(world) -> None:
    page = world["page"]
    page.goto(world["url"] + "/d/sales/?company_id=globex&date_from=2026-03-01")
    ready(page)
    assert page.locator("#filter-company_id").count() == 0
    # Sent straight to the frame by page script, as a compromised page might: dropped there too.
    page.evaluate(
        """() => document.querySelector('iframe[title=Sales]').contentWindow.postMessage(
            {type: 'panes:filters', filters: {company_id: 'globex', city: 'Oslo'}}, location.origin)"""
    )
    frame(page, "Sales").wait_for_function("() => document.body.dataset.filters === 'city=Oslo'")
    page.wait_for_timeout(300)
    assert world["host"].for_pipe("sales_by_city")[-1]["query"] == {"city": ["Oslo"]}
    assert all("company_id" not in r["query"] for r in world["host"].requests)
