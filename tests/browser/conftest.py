"""A real Panes server with the demo loaded, and Debian's chromium driven by Playwright.

Pages are opened on http://localhost:PORT and the chart frames call the pipe API on
http://127.0.0.1:PORT, so every chart request is cross-origin, as it is against Tinybird.
The server runs in its own process on its own data folder, exactly as `make run` would.
"""
from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
OUTPUT = ROOT / "test-output"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DEMO_ROWS = 20_000
PASSWORD = "panes-demo"

pytestmark = pytest.mark.browser


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class PanesServer:
    port: int
    data_dir: Path
    env: dict
    process: subprocess.Popen

    @property
    def page_origin(self) -> str:
        return f"http://localhost:{self.port}"

    @property
    def api_origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def manage(self, *args: str) -> str:
        result = subprocess.run(
            [sys.executable, "manage.py", *args], cwd=ROOT, env=self.env, capture_output=True, text=True, check=True
        )
        return result.stdout

    def sql(self, query: str, params: tuple = ()) -> list[tuple]:
        """Run a query on the server's analytics database, as an independent check of figures."""
        import sqlite3

        with sqlite3.connect(self.data_dir / "analytics.sqlite3") as conn:
            return conn.execute(query, params).fetchall()


def _server_env(data_dir: Path, port: int, **overrides: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "ANALYTICS_DATABASE_URL", "CACHE_URL"}}
    env.update(
        {
            "PANES_ENV_FILE": "",
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DEBUG": "false",
            "SECRET_KEY": secrets.token_urlsafe(40),
            "PANES_LOCAL_ADMIN_TOKEN": "p." + secrets.token_urlsafe(40),
            "DATA_DIR": str(data_dir),
            "ALLOWED_HOSTS": "localhost,127.0.0.1",
            "WHITENOISE_USE_FINDERS": "true",
            "STATICFILES_BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage",
            "PANES_LOCAL_API_ORIGIN": f"http://127.0.0.1:{port}",
            "AXES_ENABLED": "false",
            "HOST": "127.0.0.1",
            "PORT": str(port),
            "WEB_CONCURRENCY": "2",
            "GUNICORN_ACCESS_LOG": "",
        }
    )
    env.update(overrides)
    return env


def _wait_until_up(url: str, process: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"Panes server exited with {process.returncode}")
        try:
            urllib.request.urlopen(url, timeout=1)
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"Panes server did not answer at {url}")


def start_server(tmp: Path, **overrides: str) -> PanesServer:
    port = free_port()
    env = _server_env(tmp, port, **overrides)
    for args in (["migrate", "--noinput", "-v", "0"], ["demo", "--rows", str(DEMO_ROWS)]):
        subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True, capture_output=True)
    log = open(tmp / "server.log", "w")
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "config/gunicorn.conf.py", "config.wsgi"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    _wait_until_up(f"http://127.0.0.1:{port}/login/", process)
    return PanesServer(port=port, data_dir=tmp, env=env, process=process)


def stop_server(server: PanesServer) -> None:
    server.process.terminate()
    try:
        server.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.process.kill()


@pytest.fixture(scope="session")
def intranet_ports() -> tuple[int, int]:
    """(allowed, forbidden): two intranet origins; only the first may frame the embed view."""
    return free_port(), free_port()


@pytest.fixture(scope="session")
def panes(tmp_path_factory, intranet_ports) -> Iterator[PanesServer]:
    allowed, _ = intranet_ports
    server = start_server(
        tmp_path_factory.mktemp("panes"), PANES_EMBED_ALLOWED_ORIGINS=f"http://localhost:{allowed}"
    )
    yield server
    stop_server(server)


@pytest.fixture(scope="session")
def browser() -> Iterator:
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


class StaticSite:
    """A throwaway 'intranet' web server on its own port, serving files from a folder."""

    def __init__(self, folder: Path, port: int) -> None:
        handler = partial(_QuietHandler, directory=str(folder))
        self.server = ThreadingHTTPServer(("127.0.0.1", port), handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> StaticSite:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args) -> None:  # noqa: A002
        pass
