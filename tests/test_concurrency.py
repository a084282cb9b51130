"""SQLite under concurrent requests: WAL, a busy timeout and IMMEDIATE transactions mean that
simultaneous logins and token mints on gunicorn's workers queue instead of failing with
"database is locked", and each mint writes exactly one TokenGrant."""
from __future__ import annotations

import json
import threading
from collections.abc import Iterator

import pytest

from tests.support import liveserver as panes_server

pytestmark = pytest.mark.slow

SESSIONS = 24  # three times gunicorn's 2 workers x 4 threads
PERSONAS = [("alice", "acme"), ("bob", "globex"), ("carol", "acme")]


@pytest.fixture(scope="module")
def live(tmp_path_factory) -> Iterator[panes_server.Server]:
    server = panes_server.start(tmp_path_factory.mktemp("concurrency"), demo_rows=500)
    yield server
    panes_server.stop(server)


def grants(live) -> int:
    return live.sql("SELECT COUNT(*) FROM charts_tokengrant")[0][0]


def all_at_once(count: int, work) -> list:
    """Run ``work(i)`` in ``count`` threads released together; their results, or exceptions."""
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = work(i)
        except Exception as exc:  # reported by the assertions, not lost in a thread
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    return results


def test_concurrent_logins_and_mints_never_lock_and_write_one_grant_each(live) -> None:
    assert (live.sql("PRAGMA journal_mode")[0][0]).lower() == "wal"
    sessions = [panes_server.HttpSession(live.port) for _ in range(SESSIONS)]
    before = grants(live)

    def login_and_mint(i: int) -> tuple[int, str]:
        username, tenant = PERSONAS[i % len(PERSONAS)]
        sessions[i].login(username)
        status, _, body = sessions[i].get("/d/sales-overview/token.json", Accept="application/json")
        assert json.loads(body)["tenant"] == tenant
        return status, json.loads(body)["token"]

    results = all_at_once(SESSIONS, login_and_mint)
    assert [r for r in results if not isinstance(r, tuple)] == []
    assert [status for status, _ in results] == [200] * SESSIONS
    assert all(token for _, token in results)
    assert grants(live) - before == SESSIONS  # one mint per new session, one grant per mint

    # The same sessions at once again: every token is reused from its session, nothing written.
    again = all_at_once(SESSIONS, lambda i: sessions[i].get("/d/sales-overview/token.json")[0])
    assert again == [200] * SESSIONS
    assert grants(live) - before == SESSIONS
    pages = all_at_once(SESSIONS, lambda i: sessions[i].get("/d/sales-overview/")[0])
    assert pages == [200] * SESSIONS
    assert grants(live) - before == SESSIONS

    log = live.log_path.read_text()
    assert "database is locked" not in log and "Traceback" not in log
