"""frame.js in a real browser: the chart host is stubbed with Playwright routes, so every answer
(rows, empty, 403, 429, 5xx) is under the test's control and no pipe host is needed."""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client

from charts.models import Membership, Tenant, TenantFilterRule, Workspace
from tests.charts.builders import KNOWN_KEY, make_chart, make_dashboard
from tests.conftest import LOCAL_KEY_ENV
from tests.support.browser import CHROMIUM, CHROMIUM_ARGS

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium"),
]

ROWS = {
    "meta": [{"name": "city", "type": "String"}, {"name": "revenue", "type": "Float64"}],
    "data": [{"city": "Berlin", "revenue": 1234.5}, {"city": "Paris", "revenue": 987}, {"city": "Rome", "revenue": 42}],
    "rows": 3,
    "statistics": {"elapsed": 0.001, "rows_read": 3, "bytes_read": 30},
}
EMPTY = {"meta": ROWS["meta"], "data": [], "rows": 0, "statistics": {}}


@pytest.fixture
def site(live_server, transactional_db, monkeypatch):
    """A dashboard with one Panes bar chart for alice, and a browser signed in as her."""
    monkeypatch.setenv(LOCAL_KEY_ENV, KNOWN_KEY)
    workspace = Workspace.objects.create(name="Built-in", workspace_id="ws", signing_key_env=LOCAL_KEY_ENV)
    acme = Tenant.objects.create(name="Acme", slug="acme")
    TenantFilterRule.objects.create(tenant=acme, param="company_id", value="acme")
    alice = get_user_model().objects.create_user("alice", password="pw")
    Membership.objects.create(user=alice, tenant=acme)
    chart = make_chart(workspace, "Revenue by city", "sales_by_city", chart_type="bar", index_column="city", category_columns="revenue")
    make_dashboard("sales", acme, charts=[chart])
    client = Client()
    client.force_login(alice)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value

    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # Playwright's loop shares this thread
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1100, "height": 800})
        host = live_server.url.split("//")[1].split(":")[0]
        context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": session, "domain": host, "path": "/"}])
        yield {"context": context, "url": live_server.url, "chart": chart}
        browser.close()
    os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


class Host:
    """A stub chart host: answers the queued (status, body) pairs in turn, then the last forever."""

    def __init__(self, *answers: tuple[int, dict]) -> None:
        self.answers = list(answers)
        self.requests: list[dict] = []

    def __call__(self, route) -> None:
        request = route.request
        self.requests.append({"url": request.url, "headers": request.all_headers()})
        status, body = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        route.fulfill(status=status, content_type="application/json", body=json.dumps(body), headers={"Access-Control-Allow-Origin": "*"})


def open_dashboard(site, host: Host, on_request=None):
    page = site["context"].new_page()
    page.route("**/v0/pipes/*.json", host)
    if on_request is not None:  # before the page loads, so no early request is missed
        page.on("request", on_request)
    page.goto(site["url"] + "/d/sales/")
    frame = page.frame_locator("iframe[data-panes-frame]")
    return page, frame


def body_attr(frame, name: str, value: str, timeout: float = 8000) -> None:
    frame.locator(f"body[data-{name}='{value}']").wait_for(state="attached", timeout=timeout)


def test_it_draws_the_rows_with_the_bearer_token_and_no_cookies(site) -> None:
    host = Host((200, ROWS))
    page, frame = open_dashboard(site, host)
    body_attr(frame, "state", "ready")
    assert frame.locator("body").get_attribute("data-rows") == "3"
    # The figures are readable as text, for people and tests alike.
    cells = frame.locator("#panes-data td").all_inner_texts()
    assert cells == ["Berlin", "1,234.5", "Paris", "987", "Rome", "42"]
    [request] = host.requests[:1]
    assert request["url"].endswith("/v0/pipes/sales_by_city.json")
    assert request["headers"]["authorization"].startswith("Bearer ey")
    assert "cookie" not in request["headers"]
    # The token left the frame's address as soon as it was read.
    frame_url = page.frames[1].url
    assert "#token" not in frame_url and "token=" not in frame_url


def test_no_rows_reads_as_an_empty_period(site) -> None:
    page, frame = open_dashboard(site, Host((200, EMPTY)))
    body_attr(frame, "state", "empty")
    assert "No data for this period" in frame.locator("#panes-status").inner_text()


def test_a_refused_token_asks_the_page_once_then_says_not_allowed(site) -> None:
    token_requests: list[str] = []
    host = Host((403, {"error": "Invalid token"}))
    page, frame = open_dashboard(
        site, host, on_request=lambda r: token_requests.append(r.url) if r.url.endswith("/token.json") else None
    )
    body_attr(frame, "error", "forbidden")
    assert "Not allowed" in frame.locator("#panes-status").inner_text()
    assert len(token_requests) == 1  # one renewal, not a loop
    assert len(host.requests) == 2  # the first try, and one more with the page's answer


def test_busy_hosts_are_retried(site) -> None:
    host = Host((429, {"error": "Too many requests"}), (200, ROWS))
    page, frame = open_dashboard(site, host)
    body_attr(frame, "state", "ready")
    assert len(host.requests) == 2


def test_an_unreachable_host_says_so_and_keeps_retrying(site) -> None:
    host = Host((503, {"error": "down"}))
    page, frame = open_dashboard(site, host)
    body_attr(frame, "error", "unreachable")
    assert "Chart host unreachable, retrying" in frame.locator("#panes-status").inner_text()
    page.wait_for_timeout(2500)
    assert len(host.requests) >= 2


def test_a_new_token_from_the_page_refetches_into_the_same_chart(site) -> None:
    host = Host((200, ROWS))
    page, frame = open_dashboard(site, host)
    body_attr(frame, "state", "ready")
    child = page.frames[1]
    child.evaluate("() => { window.echarts.getInstanceByDom(document.getElementById('panes-chart')).__marker = 7; }")
    page.evaluate("() => document.querySelector('iframe[data-panes-frame]').contentWindow.postMessage({type: 'panes:token', token: 'new.token.value'}, location.origin)")
    body_attr(frame, "token-updates", "1")
    child.wait_for_function("() => document.body.dataset.state === 'ready'")
    page.wait_for_timeout(300)
    assert host.requests[-1]["headers"]["authorization"] == "Bearer new.token.value"
    assert child.evaluate("() => window.echarts.getInstanceByDom(document.getElementById('panes-chart')).__marker") == 7


def test_messages_from_other_windows_are_ignored(site) -> None:
    host = Host((200, ROWS))
    page, frame = open_dashboard(site, host)
    body_attr(frame, "state", "ready")
    child = page.frames[1]
    # The frame posting to itself is not its parent: no re-fetch, no token taken.
    child.evaluate("() => window.postMessage({type: 'panes:token', token: 'evil'}, location.origin)")
    page.wait_for_timeout(300)
    assert all(r["headers"]["authorization"] != "Bearer evil" for r in host.requests)
    assert child.evaluate("() => document.body.dataset.tokenUpdates") is None
