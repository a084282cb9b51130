"""A real Panes server with the demo loaded, and Debian's chromium driven by Playwright.

Pages are opened on http://localhost:PORT and the chart frames call the pipe API on
http://127.0.0.1:PORT, so every chart request is cross-origin, as it is against Tinybird.
The server runs in its own process on its own data folder, exactly as `make run` would
(tests/support/liveserver.py starts it).
"""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import liveserver
from tests.support.browser import CHROMIUM, CHROMIUM_ARGS, ReservedPort
from tests.support.liveserver import PASSWORD, ROOT

OUTPUT = ROOT / "test-output"
DEMO_ROWS = 20_000


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test in this folder is a browser test (a conftest's ``pytestmark`` marks nothing)."""
    here = Path(__file__).parent
    for item in items:
        if here in item.path.parents:
            item.add_marker(pytest.mark.browser)


class PanesServer(liveserver.Server):
    """A server of the browser tests: its figures are checked against its analytics database."""

    def sql(self, query: str, params: tuple = (), *, database: str = "analytics") -> list[tuple]:
        return super().sql(query, params, database=database)


def start_server(tmp: Path, **overrides: str) -> PanesServer:
    """Panes with the demo under gunicorn; ``overrides`` are its settings (environment variables)."""
    return liveserver.start(tmp, demo_rows=DEMO_ROWS, server_class=PanesServer, up_timeout=30, **overrides)


def stop_server(server: PanesServer) -> None:
    liveserver.stop(server)


@pytest.fixture(scope="session")
def intranet_ports() -> Iterator[tuple[int, int]]:
    """(allowed, forbidden): two intranet origins; only the first may frame the embed view."""
    allowed, forbidden = ReservedPort(), ReservedPort()
    yield allowed, forbidden
    allowed.release()
    forbidden.release()


@pytest.fixture(scope="session")
def panes(tmp_path_factory, intranet_ports) -> Iterator[PanesServer]:
    allowed, _ = intranet_ports
    server = start_server(
        tmp_path_factory.mktemp("panes"), PANES_EMBED_ALLOWED_ORIGINS=f"http://localhost:{allowed}"
    )
    yield server
    stop_server(server)


@pytest.fixture(scope="module")
def browser() -> Iterator:
    # Per module, not per session: while Playwright's sync API is open its event loop counts as
    # running in this thread, and Django refuses database calls (SynchronousOnlyOperation) in any
    # later test that pytest-xdist runs in the same worker.
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium package")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def context(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 2400}, locale="en-US")
    yield context
    context.close()


def login(context, server: PanesServer, username: str):
    page = context.new_page()
    page.goto(f"{server.page_origin}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit], input[type=submit]")
    page.wait_for_load_state("networkidle")
    assert "/login/" not in page.url, f"{username} could not log in"
    return page


def screenshot(page, name: str) -> None:
    OUTPUT.mkdir(exist_ok=True)
    page.screenshot(path=str(OUTPUT / f"{name}.png"), full_page=True)
