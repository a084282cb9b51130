"""A workspace row pointed at an attacker's host around the admin (issue 9), seen in a real
browser: the dashboard mints no token for it, its tiles say the chart host is unavailable, a
chart frame opened directly gets no host, and the attacker's listener hears nothing at all.

The row is forced with SQL on the server's own database, as an old row or a shell would leave
it; the server (its own, with a small demo) allows only Tinybird's hosts, as by default.
"""
from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support import liveserver
from tests.support.listener import Listener

from .conftest import PanesServer, login, screenshot

FRAME_READY_MS = 20_000


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[PanesServer]:
    server = liveserver.start(tmp_path_factory.mktemp("routing"), demo_rows=2_000, server_class=PanesServer, up_timeout=30)
    yield server
    liveserver.stop(server)


@pytest.fixture
def listener(server) -> Iterator[Listener]:
    with Listener(max_requests=20, lifetime=240) as attacker:
        server.sql("UPDATE charts_workspace SET api_host = ?", (attacker.origin,), database="default")
        try:
            yield attacker
        finally:
            server.sql("UPDATE charts_workspace SET api_host = ''", database="default")


def test_a_dashboard_on_a_forced_host_sends_the_listener_nothing(context, server, listener) -> None:
    page = login(context, server, "alice")
    sent = []
    page.on("request", lambda r: sent.append(r.url))
    response = page.goto(f"{server.page_origin}/d/sales-overview/")
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(1500)  # time for any frame to have fetched, had it been given a host
    screenshot(page, "routing-forced-host")

    assert response.status == 200
    assert listener.requests == [], "the attacker's host heard from the browser"
    assert not [url for url in sent if url.startswith(listener.origin)]
    tiles = page.locator(".tile")
    assert tiles.count() == 8
    assert page.locator(".tile--unavailable").count() == 8
    assert all("Chart host unavailable" in text for text in tiles.all_inner_texts())
    assert page.locator("iframe").count() == 0
    html = page.content()
    assert "#token=" not in html and "eyJ" not in html and listener.origin not in html


def test_a_chart_frame_opened_directly_gets_no_host(context, server, listener) -> None:
    [(chart_id,)] = server.sql("SELECT id FROM charts_chart WHERE title = 'Orders'", database="default")
    page = login(context, server, "alice")
    page.goto(f"{server.page_origin}/frame/{chart_id}/")
    page.wait_for_function("() => document.body.dataset.state === 'error'", timeout=FRAME_READY_MS)
    assert "Chart host unavailable" in page.locator("body").inner_text()
    assert listener.origin not in page.content()
    page.wait_for_timeout(1000)
    assert listener.requests == []
