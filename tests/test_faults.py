"""A database outage is a plain 503 (HTML for pages, JSON for API calls), one log line, and the
site recovers by itself when the database returns, in the same process."""
from __future__ import annotations

import json
import logging
import os
import shutil
import socket
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.conf import settings
from django.db import OperationalError, connections
from django.test import Client, RequestFactory, override_settings
from django.urls import reverse

from config.views import server_error
from tests.charts.builders import make_chart, make_dashboard
from tests.support import liveserver as panes_server

pytestmark = pytest.mark.django_db(transaction=True, databases="__all__")

SECRETS_AND_INTERNALS = ("Traceback", "OperationalError", "SELECT", "sqlite", "psycopg", "SECRET_KEY", "settings.py")


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # released at once: nothing listens there


@contextmanager
def broken_database(alias: str = "default") -> Iterator[None]:
    """Point ``alias`` where no database answers, then put it back.

    A file or PostgreSQL connection is closed and its settings changed in place (the same
    connection object must reconnect afterwards); an in-memory SQLite test database cannot be
    closed without losing it, so a second connection object with a broken path stands in for it.
    """
    conn = connections[alias]
    if conn.vendor == "sqlite" and conn.is_in_memory_db():
        broken = conn.__class__({**conn.settings_dict, "NAME": "/nonexistent-panes-dir/db.sqlite3"}, alias)
        connections[alias] = broken
        try:
            yield
        finally:
            broken.close()
            connections[alias] = conn
        return
    saved = dict(conn.settings_dict)
    conn.close()
    if conn.vendor == "sqlite":
        conn.settings_dict["NAME"] = "/nonexistent-panes-dir/db.sqlite3"
    else:
        conn.settings_dict.update(HOST="127.0.0.1", PORT=str(closed_port()))
    try:
        yield
    finally:
        conn.close()
        conn.settings_dict.clear()
        conn.settings_dict.update(saved)


@pytest.fixture
def board(workspace, acme):
    return make_dashboard("sales", acme, charts=[make_chart(workspace, "Sales", "sales")])


def outage_records(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_a_page_answers_a_plain_503_while_the_database_is_down(alice_client, board, caplog) -> None:
    with broken_database(), caplog.at_level(logging.INFO):
        response = alice_client.get(reverse("charts:dashboard", args=["sales"]))
    html = response.content.decode()
    assert response.status_code == 503
    assert response["Content-Type"].startswith("text/html")
    assert "Panes is temporarily unavailable" in html and 'class="topbar"' in html
    assert not [s for s in SECRETS_AND_INTERNALS if s in html]
    assert response["Retry-After"] == "30" and "no-store" in response["Cache-Control"]
    records = outage_records(caplog)
    assert len(records) == 1, [r.getMessage() for r in records]
    assert records[0].name == "panes.database" and "/d/sales/" in records[0].getMessage()


def test_it_recovers_by_itself_when_the_database_returns(alice_client, board) -> None:
    url = reverse("charts:dashboard", args=["sales"])
    assert alice_client.get(url).status_code == 200
    with broken_database():
        assert alice_client.get(url).status_code == 503
        assert alice_client.get(url).status_code == 503
    response = alice_client.get(url)
    assert response.status_code == 200
    assert "data-panes-grid" in response.content.decode()


def test_a_json_request_gets_a_json_503(alice_client, board) -> None:
    with broken_database():
        response = alice_client.get(reverse("charts:dashboard_token", args=["sales"]), HTTP_ACCEPT="application/json")
    assert response.status_code == 503
    assert response.json() == {"error": "database unavailable"}


def test_anything_asking_for_json_gets_json(alice_client, board) -> None:
    with broken_database():
        response = alice_client.get(reverse("charts:dashboard_list"), HTTP_ACCEPT="application/json")
    assert response.status_code == 503
    assert response.json() == {"error": "database unavailable"}


def test_the_pipe_api_needs_no_database_of_panes(client) -> None:
    # The built-in host reads ClickHouse and its deployed datafiles only: Panes' own database down,
    # it still answers, here a JSON 404 for a pipe that is not deployed, with its CORS header.
    admin = os.environ[settings.PIPES_ADMIN_TOKEN_ENV]
    with broken_database():
        response = client.get("/v0/pipes/sales.json", HTTP_AUTHORIZATION=f"Bearer {admin}")
    assert response.status_code == 404
    assert response.json() == {"error": "pipe sales does not exist"}
    assert response["Access-Control-Allow-Origin"] == "*"
    assert not [s for s in SECRETS_AND_INTERNALS if s in response.content.decode()]


def test_an_outage_outside_a_view_is_a_503_too(rf: RequestFactory) -> None:
    request = rf.get("/d/sales/")
    try:
        raise OperationalError("connection to server at \"127.0.0.1\", port 1 failed")
    except OperationalError:
        response = server_error(request)
    assert response.status_code == 503
    assert "Panes is temporarily unavailable" in response.content.decode()


def sessions_on_a_dead_database(get_response):
    """Stands for any middleware that meets the outage before the view (SSO, sessions, axes)."""

    def middleware(request):
        raise OperationalError('connection to server at "127.0.0.1", port 1 failed: Connection refused')

    return middleware


def test_an_outage_in_a_middleware_gets_the_same_503_and_headers(db, caplog) -> None:
    stack = list(settings.MIDDLEWARE)
    stack.insert(stack.index("django.contrib.sessions.middleware.SessionMiddleware") + 1, f"{__name__}.sessions_on_a_dead_database")
    with override_settings(MIDDLEWARE=stack), caplog.at_level(logging.INFO):
        response = Client(raise_request_exception=False).get("/d/sales/")
    assert response.status_code == 503
    assert "Panes is temporarily unavailable" in response.content.decode()
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert response["Content-Security-Policy"].endswith("frame-ancestors 'none'")
    assert [r.name for r in outage_records(caplog)] == ["panes.database"]


def test_any_other_error_is_a_plain_500_page(rf: RequestFactory) -> None:
    for path, is_api in (("/d/sales/", False), ("/v0/pipes/x.json", True)):
        try:
            raise ValueError("SELECT secret FROM somewhere")
        except ValueError:
            response = server_error(rf.get(path))
        body = response.content.decode()
        assert response.status_code == 500
        assert "SELECT" not in body and "Traceback" not in body
        if is_api:
            assert json.loads(body) == {"error": "internal error"}
        else:
            assert "Something went wrong" in body and 'class="topbar"' in body


def test_an_unknown_page_gets_the_sites_404(alice_client, acme) -> None:
    response = alice_client.get("/no-such-page/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "Page not found" in html and "Log out" in html  # the site's own chrome, signed in


@pytest.fixture(scope="module")
def live(tmp_path_factory) -> Iterator[panes_server.Server]:
    # A connection per request: an SQLite handle already open keeps reading a moved file, so the
    # outage this server sees is the one of a database that cannot be opened.
    server = panes_server.start(tmp_path_factory.mktemp("faults"), demo_rows=500, CONN_MAX_AGE="0")
    yield server
    panes_server.stop(server)


@pytest.mark.slow
def test_a_live_server_survives_its_database_folder_vanishing(live) -> None:
    """gunicorn workers with SQLite: the data folder disappears (a lost mount), then returns."""
    session = panes_server.HttpSession(live.port)
    session.login("alice")
    assert session.get("/d/sales-overview/")[0] == 200
    moved = live.data_dir.with_name(live.data_dir.name + "-away")
    shutil.move(live.data_dir, moved)
    try:
        for _ in range(4):  # both workers, several threads
            status, headers, body = session.get("/d/sales-overview/")
            assert status == 503
            assert b"temporarily unavailable" in body and b"Traceback" not in body
        status, _, body = session.get("/d/sales-overview/token.json", Accept="application/json")
        assert (status, body) == (503, b'{"error": "database unavailable"}')
        assert session.get("/healthz")[0] == 503
    finally:
        shutil.move(moved, live.data_dir)
    assert session.get("/healthz")[0] == 200
    status, _, body = session.get("/d/sales-overview/")
    assert status == 200 and b"data-panes-grid" in body  # same session, nothing stuck
    log = live.log_path.read_text()
    assert "database unavailable: GET /d/sales-overview/" in log
    assert "Traceback" not in log
