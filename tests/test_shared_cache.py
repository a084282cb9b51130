"""With CACHE_URL on Redis, two app servers share sessions and the pipe API's rate-limit counter.

Two gunicorn servers (two workers each) on one database and the local Redis (db 2, emptied
before and after): a session started on one is served by the other straight from Redis, and a
token's limits.rps holds across both servers together, not per process.
"""
from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
import redis

from tests.support import liveserver as panes_server

pytestmark = pytest.mark.slow

REDIS_URL = "redis://127.0.0.1:6379/2"
RPS = 3


@pytest.fixture(scope="module")
def store() -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(REDIS_URL)
    client.flushdb()
    yield client
    client.flushdb()


@pytest.fixture(scope="module")
def pair(tmp_path_factory, store) -> Iterator[tuple[panes_server.Server, panes_server.Server]]:
    first = panes_server.start(tmp_path_factory.mktemp("shared"), demo_rows=500, cache_url=REDIS_URL)
    first.manage("shell", "-c", f"from charts.models import Tenant; Tenant.objects.filter(slug='acme').update(rate_limit_rps={RPS})")
    second = panes_server.start_another(first)
    yield first, second
    panes_server.stop(second)
    panes_server.stop(first)


def on(server: panes_server.Server, session: panes_server.HttpSession) -> panes_server.HttpSession:
    """The same cookies, on a connection to another server."""
    other = panes_server.HttpSession(server.port)
    other.cookies = dict(session.cookies)
    return other


def test_a_session_started_on_one_server_is_served_by_the_other_from_redis(pair, store) -> None:
    first, second = pair
    alice = panes_server.HttpSession(first.port)
    alice.login("alice")
    session_key = alice.cookies["sessionid"]
    assert store.keys(f"*{session_key}*"), "the session is not in Redis"

    status, _, body = on(second, alice).get("/d/sales-overview/token.json")
    assert status == 200 and b'"tenant": "acme"' in body

    # Take the row out of the database: only the shared cache still knows the session. (A page
    # that does not write the session: saving one whose row vanished is refused, by design.)
    first.sql("DELETE FROM django_session WHERE session_key = ?", (session_key,))
    status, _, body = on(second, alice).get("/")
    assert status == 200
    assert b"Log out" in body and b"Acme" in body  # signed in, as alice of Acme


def test_the_rate_limit_is_counted_once_across_both_servers(pair, store) -> None:
    first, second = pair
    alice = panes_server.HttpSession(first.port)
    alice.login("alice")
    token = alice.get("/d/sales-overview/token.json")[2].decode().split('"token": "')[1].split('"')[0]
    clients = [panes_server.HttpSession(first.port), panes_server.HttpSession(second.port)]
    started = time.time()
    statuses = [
        clients[i % 2].get("/v0/pipes/kpi_totals.json", Authorization=f"Bearer {token}")[0] for i in range(10 * RPS)
    ]
    windows = int(time.time()) - int(started) + 1  # one-second windows the requests fell in
    assert set(statuses) <= {200, 429}
    assert 429 in statuses
    # Four processes counting on their own would let up to 4 x RPS through per window.
    assert statuses.count(200) <= RPS * windows, (statuses, windows)
    assert store.keys("*pipes:rps:*"), "the counter is not in Redis"
