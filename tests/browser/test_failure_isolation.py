"""Failure isolation in a real browser (issue 11): one broken workspace or chart host never takes
the page down, and every failure state speaks in Panes' words. Screenshots of each state go to
test-output/failure-*.png.

- a workspace whose key variable is not set: only its tile says so, the other charts draw;
- a Tinybird frame that does not load (offline, a refused port, a 404 from a host that shares its
  status): the tile says "Chart host unavailable", not the browser's broken-frame page; one that
  loads stays;
- a superuser with no organisation is led to the admin;
- an anonymous visitor to an embed gets a sign-in link that opens Panes in a new window;
- an unknown URL gets Panes' own 404 page (the server runs with DEBUG off, as `make run` now does).
"""
from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from playwright.sync_api import expect

from tests.support import liveserver
from tests.support.browser import ReservedPort, StaticSite, http_server
from tests.support.liveserver import free_port

from .conftest import PanesServer, login, screenshot
from .test_demo_isolation import chart_frames

NO_KEY = "Charts of this workspace are not configured yet"
HOST_DOWN = "Chart host unavailable"
WATCH_MS = 20_000  # the frame watch's 15 s timeout, and some


def watched(page, src: str, state: str) -> None:
    """Waits until the Orders frame shows ``src`` and frame_watch calls it ``state``; polled by
    Playwright's locators (a string predicate would be eval'd, which the page's CSP forbids)."""
    frame = page.locator('.tile[aria-label="Orders"] iframe')
    expect(frame).to_have_attribute("src", src, timeout=WATCH_MS)
    expect(frame).to_have_attribute("data-frame-watch", state, timeout=WATCH_MS)

MOVE_ORDERS = """
from charts.models import Chart, Workspace
keyless, _ = Workspace.objects.get_or_create(
    name="Tinybird (key not set yet)", defaults=dict(workspace_id="w-keyless", api_host="https://api.tinybird.co",
    signing_key_env="TINYBIRD_ADMIN_TOKEN"))
Chart.objects.filter(title="Orders").update(workspace=keyless)
"""
RESTORE_ORDERS = """
from charts.models import Chart, Workspace
Chart.objects.filter(title="Orders").update(workspace=Workspace.objects.get(api_host=""))
"""
DOWN_HOST_ORDERS = """
from charts.models import Chart, Workspace
down, _ = Workspace.objects.get_or_create(
    name="Host down", defaults=dict(workspace_id="w-down", api_host="http://127.0.0.1:{port}", signing_key_env="DOWN_HOST_KEY"))
Chart.objects.filter(title="Orders").update(workspace=down)
"""
TINYBIRD_ORDERS = """
import uuid
from charts.models import Chart
Chart.objects.filter(title="Orders").update(kind="tinybird", embed_host="https://app.tinybird.co",
    embed_region="gcp/europe-west3", embed_chart_uuid=uuid.UUID("4d21283f-b85c-4ed5-8341-e2625f0e3080"))
"""
PANES_ORDERS = """
from charts.models import Chart
Chart.objects.filter(title="Orders").update(kind="panes", embed_host="", embed_region="", embed_chart_uuid=None)
"""
INTRANET = """<!doctype html><html><head><title>Intranet</title></head><body>
<h1>Company intranet</h1>
<iframe id="panes" src="{src}" style="width: 900px; height: 500px; border: 1px solid #ccc"></iframe>
</body></html>"""


@pytest.fixture(scope="module")
def ports() -> Iterator[dict[str, int]]:
    # "refused" must refuse connections, so nothing listens on it: a port only looked up as free
    intranet, frames = ReservedPort(), ReservedPort()
    yield {"intranet": intranet, "frames": frames, "refused": free_port()}
    intranet.release()
    frames.release()


@pytest.fixture(scope="module")
def server(tmp_path_factory, ports) -> Iterator[PanesServer]:
    frame_src = f"https://*.tinybird.co http://127.0.0.1:{ports['frames']} http://127.0.0.1:{ports['refused']}"
    server = liveserver.start(
        tmp_path_factory.mktemp("failures"),
        demo_rows=2_000,
        server_class=PanesServer,
        up_timeout=30,
        TINYBIRD_ADMIN_TOKEN="",
        DOWN_HOST_KEY="k" * 48,
        PANES_SIGNING_KEY_VARIABLES="PANES_LOCAL_ADMIN_TOKEN,TINYBIRD_ADMIN_TOKEN,DOWN_HOST_KEY",
        PANES_ALLOWED_API_HOSTS=f"https://api.tinybird.co,http://127.0.0.1:{ports['refused']}",
        PANES_EMBED_ALLOWED_ORIGINS=f"http://localhost:{ports['intranet']}",
        PANES_CSP_FRAME_SRC=frame_src.replace(" ", ","),
    )
    yield server
    liveserver.stop(server)


class _ChartHost(BaseHTTPRequestHandler):
    """A chart host that shares its status with Panes (CORS): /ok.html answers 200, the rest 404."""

    def _answer(self) -> None:
        ok = self.path == "/ok.html"
        body = b"<!doctype html><title>ok</title><p>A chart that loaded.</p>" if ok else b"Not found"
        self.send_response(200 if ok else 404)
        self.send_header("Content-Type", "text/html")
        self.send_header("Access-Control-Allow-Origin", "*")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    do_GET = do_HEAD = _answer  # noqa: N815 - http.server's names

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def frames_site(ports) -> Iterator[ThreadingHTTPServer]:
    site = http_server(ports["frames"], _ChartHost)
    site.daemon_threads = True
    thread = threading.Thread(target=site.serve_forever, daemon=True)
    thread.start()
    yield site
    site.shutdown()
    site.server_close()


def tile(page, title: str):
    return page.locator(f'.tile[aria-label="{title}"]')


def test_a_workspace_without_its_key_fails_only_its_own_tile(context, server) -> None:
    server.manage("shell", "-c", MOVE_ORDERS)
    try:
        page = login(context, server, "alice")
        response = page.goto(f"{server.page_origin}/d/sales-overview/")
        frames = chart_frames(page)
        screenshot(page, "failure-workspace-without-key")
        assert response.status == 200
        assert NO_KEY in tile(page, "Orders").inner_text()
        assert tile(page, "Orders").locator("iframe").count() == 0
        assert len(frames) == 7 and "Orders" not in frames
        assert all(f.evaluate("document.body.dataset.state") == "ready" for f in frames.values())
    finally:
        server.manage("shell", "-c", RESTORE_ORDERS)


def test_a_workspace_that_loses_its_key_after_the_page_loaded_fails_its_tile_on_the_next_refresh(context, server) -> None:
    page = login(context, server, "alice")
    page.goto(f"{server.page_origin}/d/sales-overview/")
    frames = chart_frames(page)
    server.manage("shell", "-c", MOVE_ORDERS)
    try:
        # The Orders frame asks for a fresh token, as it does when its host refuses the old one.
        frames["Orders"].evaluate("parent.postMessage({type: 'panes:token-request'}, location.origin)")
        orders = tile(page, "Orders")
        expect(orders).to_have_attribute("data-state", "unavailable")  # no string eval: the page's CSP forbids it
        screenshot(page, "failure-workspace-key-lost")
        assert NO_KEY in orders.inner_text() and orders.locator("iframe").count() == 0
        assert page.locator("iframe[data-panes-frame]").count() == 7
    finally:
        server.manage("shell", "-c", RESTORE_ORDERS)


def test_a_workspace_whose_host_is_down_fails_only_its_own_tile(context, server, ports) -> None:
    server.manage("shell", "-c", DOWN_HOST_ORDERS.format(port=ports["refused"]))
    try:
        page = login(context, server, "alice")
        assert page.goto(f"{server.page_origin}/d/sales-overview/").status == 200
        frames = chart_frames(page)
        page.wait_for_timeout(500)
        screenshot(page, "failure-workspace-host-down")
        assert len(frames) == 8
        states = {title: f.evaluate("document.body.dataset.state") for title, f in frames.items()}
        assert states.pop("Orders") == "error"
        assert set(states.values()) == {"ready"}
        assert "Chart host unreachable" in frames["Orders"].locator("body").inner_text()
    finally:
        server.manage("shell", "-c", RESTORE_ORDERS)


def test_a_tinybird_frame_that_does_not_load_says_so_after_its_timeout(context, server, frames_site, ports) -> None:
    server.manage("shell", "-c", TINYBIRD_ORDERS)
    try:
        page = login(context, server, "alice")
        assert page.goto(f"{server.page_origin}/d/sales-overview/").status == 200
        orders = tile(page, "Orders")
        frame = orders.locator('iframe[data-kind="tinybird"]')
        assert frame.count() == 1
        # This machine is offline: Tinybird's own host does not answer.
        orders.locator("[data-frame-failure]").wait_for(timeout=WATCH_MS)
        assert HOST_DOWN in orders.inner_text() and "Try again" in orders.inner_text()
        screenshot(page, "failure-tinybird-offline")

        for name, src in (
            ("refused", f"http://127.0.0.1:{ports['refused']}/chart"),
            ("404", f"http://127.0.0.1:{ports['frames']}/no-such-chart"),
        ):
            frame.evaluate("(f, src) => { f.src = src; }", src)
            watched(page, src, "failed")
            assert HOST_DOWN in orders.inner_text(), name
            assert frame.evaluate("f => getComputedStyle(f).display") == "none", name
            screenshot(page, f"failure-tinybird-{name}")

        # Try again loads the same address anew: still a 404, so a new message replaces the old.
        orders.locator("[data-frame-failure]").evaluate("box => { box.dataset.old = 'yes'; }")
        orders.locator("button", has_text="Try again").click()
        orders.locator("[data-frame-failure]:not([data-old])").wait_for(timeout=WATCH_MS)
        assert orders.locator("[data-frame-failure]").count() == 1

        ok = f"http://127.0.0.1:{ports['frames']}/ok.html"
        frame.evaluate("(f, src) => { f.src = src; }", ok)
        watched(page, ok, "loaded")
        page.wait_for_timeout(1000)
        assert orders.locator("[data-frame-failure]").count() == 0
        assert frame.evaluate("f => getComputedStyle(f).display") == "block"
        screenshot(page, "failure-tinybird-recovered")
        assert len(chart_frames(page)) == 7  # the Panes charts drew meanwhile
    finally:
        server.manage("shell", "-c", PANES_ORDERS)


def test_a_superuser_without_an_organisation_is_led_to_the_admin(context, server) -> None:
    page = login(context, server, "admin")
    response = page.goto(f"{server.page_origin}/")
    screenshot(page, "failure-superuser-no-organisation")
    assert response.status == 200
    page.get_by_role("link", name="Open the admin").click()
    page.wait_for_load_state()
    assert page.url == f"{server.page_origin}/admin/"


def test_an_anonymous_embed_visitor_gets_a_sign_in_link_opening_a_new_window(browser, server, tmp_path, ports) -> None:
    (tmp_path / "index.html").write_text(INTRANET.format(src=f"{server.page_origin}/embed/sales-overview/"))
    context = browser.new_context(viewport={"width": 1000, "height": 700})
    try:
        page = context.new_page()
        with StaticSite(tmp_path, ports["intranet"]):
            page.goto(f"http://localhost:{ports['intranet']}/index.html")
            embed = page.frame_locator("#panes")
            link = embed.get_by_role("link", name="Sign in to Panes")
            link.wait_for()
            screenshot(page, "failure-embed-anonymous")
            assert link.get_attribute("target") == "_blank" and link.get_attribute("rel") == "noopener"
            with context.expect_page() as opened:
                link.click()
            login_page = opened.value
            login_page.wait_for_load_state()
            assert login_page.url == f"{server.page_origin}/login/?next=%2Fd%2Fsales-overview%2F"
            assert login_page.locator("input[name=username]").count() == 1
    finally:
        context.close()


def test_an_unknown_url_gets_panes_own_404_page(context, server) -> None:
    page = login(context, server, "alice")
    response = page.goto(f"{server.page_origin}/no-such-page/")
    screenshot(page, "failure-404")
    assert response.status == 404
    assert page.locator("h1").inner_text() == "Page not found"
    assert page.locator(".topbar .brand").count() == 1
    assert page.get_by_role("link", name="Back to dashboards").count() == 1
