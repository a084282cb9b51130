"""Shared by the browser tests of tests/charts: a signed-in chromium against pytest-django's
live server, and a stub chart host answering through Playwright routes (so every test controls
the rows, and sees every query string a frame sends)."""
from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from django.conf import settings
from django.test import Client

from tests.support.browser import CHROMIUM, CHROMIUM_ARGS

ROWS = {
    "meta": [{"name": "city", "type": "String"}, {"name": "revenue", "type": "Float64"}],
    "data": [{"city": "Berlin", "revenue": 1234.5}, {"city": "Paris", "revenue": 987}, {"city": "Rome", "revenue": 42}],
    "rows": 3,
    "statistics": {"elapsed": 0.001, "rows_read": 3, "bytes_read": 30},
}


def chromium_available() -> bool:
    return Path(CHROMIUM).exists()


@contextmanager
def browser_for(live_server, user, **context_options) -> Iterator:
    """A browser context signed in as ``user`` on the live server's host."""
    client = Client()
    client.force_login(user)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # Playwright's loop shares this thread
    from playwright.sync_api import sync_playwright

    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            context = browser.new_context(viewport={"width": 1100, "height": 900}, **context_options)
            host = urlsplit(live_server.url).hostname
            context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": session, "domain": host, "path": "/"}])
            yield context
            browser.close()
    finally:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


class Host:
    """A stub chart host: answers every pipe request with ``rows`` and records what it was asked."""

    def __init__(self, rows: dict | None = None) -> None:
        self.rows = rows or ROWS
        self.requests: list[dict] = []

    def __call__(self, route) -> None:
        request = route.request
        parts = urlsplit(request.url)
        self.requests.append(
            {"url": request.url, "path": parts.path, "query": parse_qs(parts.query), "headers": request.all_headers()}
        )
        if parts.path.endswith(".csv"):
            lines = ["city,revenue"] + [f"{r['city']},{r['revenue']}" for r in self.rows["data"]]
            route.fulfill(status=200, content_type="text/csv", body="\n".join(lines) + "\n", headers={"Access-Control-Allow-Origin": "*"})
            return
        route.fulfill(status=200, content_type="application/json", body=json.dumps(self.rows), headers={"Access-Control-Allow-Origin": "*"})

    def for_pipe(self, pipe: str) -> list[dict]:
        return [r for r in self.requests if r["path"].rsplit("/", 1)[-1].split(".")[0] == pipe]


def frame_titled(page, title: str, timeout_ms: int = 15_000):
    """The Panes chart frame whose document is titled ``title``, once it has loaded."""
    waited = 0
    while True:
        for frame in page.frames:
            if "/frame/" in frame.url:
                try:
                    if frame.title() == title:
                        return frame
                except Exception:  # a frame navigating meanwhile: look again
                    pass
        if waited >= timeout_ms:
            raise AssertionError(f"no chart frame titled {title!r}")
        page.wait_for_timeout(100)
        waited += 100
