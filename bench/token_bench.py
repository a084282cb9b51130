"""2. The token endpoint, logged in, through gunicorn under wrk, beside the minimal token server.

Panes: ``GET /d/sales-overview/token.json`` as alice (session cookie): session, active tenant,
the dashboard for that tenant, its charts and the tenant's rules, fail-closed scope planning, the
session-cached token reused while it is fresh. Minimal: ``bench/minimal_token_server.py``, which
signs a new JWT on every request with no login or tenant at all. Both under
``config/gunicorn.conf.py`` (2 gthread workers) on 127.0.0.1, measured one after the other.
"""
from __future__ import annotations

import json

from _common import Section, ms
from _load import check_ok, wrk
from _server import MinimalTokenServer, PanesServer

GOAL_RATIO = 1.0
DASHBOARD = "sales-overview"


def run(section: Section, server: PanesServer, *, quick: bool = False) -> None:
    seconds = 3 if quick else 10
    session = server.login("alice")
    headers = {"Cookie": f"sessionid={session}"}
    url = f"{server.origin}/d/{DASHBOARD}/token.json"
    document = json.loads(check_ok(url, headers))  # the first call mints; the rest reuse
    if not document.get("token"):
        raise RuntimeError(f"the token endpoint gave no token: {document}")

    minimal = MinimalTokenServer(server.admin_token)
    minimal.start(server.data_dir)
    try:
        check_ok(f"{minimal.origin}/api/token", {})
        # Warm both up, then measure each in turn.
        wrk(url, headers=headers, seconds=1)
        wrk(f"{minimal.origin}/api/token", seconds=1)
        panes = wrk(url, headers=headers, seconds=seconds)
        floor = wrk(f"{minimal.origin}/api/token", seconds=seconds)
    finally:
        minimal.stop()
    ratio = panes.rps / floor.rps
    section.add(
        "minimal token server (no login, re-signs)",
        f"{floor.rps:,.0f} req/s, p50 {ms(floor.p50)}, p99 {ms(floor.p99)} ({floor.requests:,} requests, {floor.errors} errors)",
    )
    section.add(
        "Panes /d/<slug>/token.json, logged in",
        f"{panes.rps:,.0f} req/s, p50 {ms(panes.p50)}, p99 {ms(panes.p99)} ({panes.requests:,} requests, "
        f"{panes.errors} errors); {ratio:.2f}x the minimal server",
        f"≥ {GOAL_RATIO}x minimal",
        ratio >= GOAL_RATIO,
    )
    section.note(
        f"wrk -t2 -c16 -d{seconds}s on the same 2-core machine as both servers; Panes on SQLite "
        f"(default database sessions), the minimal server with no database."
    )
