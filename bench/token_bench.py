"""2. The token endpoint, logged in, through gunicorn under wrk.

``GET /d/sales-overview/token.json`` as alice (session cookie): session, active tenant, and the
session's cached answer while it stands (the first call finds the dashboard, its charts and the
tenant's rules, plans the scopes and signs). Under ``config/gunicorn.conf.py`` (2 gthread workers)
on 127.0.0.1. A figure, not a goal.
"""
from __future__ import annotations

import json

from _common import Section, ms
from _load import check_ok, wrk
from _server import PanesServer

DASHBOARD = "sales-overview"


def run(section: Section, server: PanesServer, *, quick: bool = False) -> None:
    seconds = 3 if quick else 10
    session = server.login("alice")
    headers = {"Cookie": f"sessionid={session}"}
    url = f"{server.origin}/d/{DASHBOARD}/token.json"
    document = json.loads(check_ok(url, headers))  # the first call mints; the rest reuse
    if not document.get("token"):
        raise RuntimeError(f"the token endpoint gave no token: {document}")
    wrk(url, headers=headers, seconds=1)  # warm-up
    panes = wrk(url, headers=headers, seconds=seconds)
    section.add(
        "/d/<slug>/token.json, logged in",
        f"{panes.rps:,.0f} req/s, p50 {ms(panes.p50)}, p99 {ms(panes.p99)} ({panes.requests:,} requests, {panes.errors} errors)",
    )
    section.note(
        f"wrk -t2 -c16 -d{seconds}s on the same 2-core machine as the server; SQLite, default database sessions."
    )
