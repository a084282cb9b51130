"""3. The dashboard page: requests per second and SQL queries per page for 1, 10 and 30 charts.

Bench dashboards (copies of the demo's tenant-filtered charts) are made in the server's own
database by ``bench/_fixtures.py``. Requests per second: wrk against gunicorn as alice. Queries:
counted in a separate process on the same databases with Django's test client, for a first visit
(mints and audits a token) and a repeat visit (reuses the session's token: what wrk measures).
"""
from __future__ import annotations

import json

from _common import BENCH, Section, ms
from _load import wrk
from _server import PanesServer

SIZES = (1, 10, 30)
MAX_QUERIES = 6
GOAL_RATIO = 1.5


def run(section: Section, server: PanesServer, *, quick: bool = False) -> None:
    seconds = 3 if quick else 10
    server.script(BENCH / "_fixtures.py", "dashboards", *map(str, SIZES))
    counts = json.loads(server.script(BENCH / "_fixtures.py", "queries", *(f"bench-{n}" for n in SIZES)))
    session = server.login("alice")
    headers = {"Cookie": f"sessionid={session}"}
    results = {}
    for size in SIZES:
        url = f"{server.origin}/d/bench-{size}/"
        wrk(url, headers=headers, seconds=1)  # warm up; the first request mints the page's token
        results[size] = wrk(url, headers=headers, seconds=seconds)
    repeat_counts = {n: counts[f"bench-{n}"]["repeat"]["default"] for n in SIZES}
    constant = len(set(repeat_counts.values())) == 1
    for size in SIZES:
        result = results[size]
        visit = counts[f"bench-{size}"]
        section.add(
            f"{size} chart{'s' if size > 1 else ''}: /d/bench-{size}/",
            f"{result.rps:,.0f} req/s, p50 {ms(result.p50)}, p99 {ms(result.p99)}; SQL queries "
            f"{visit['repeat']['default']} (first visit {visit['first']['default']})",
            f"≤ {MAX_QUERIES} queries, constant",
            constant and visit["repeat"]["default"] <= MAX_QUERIES,
        )
    ratio = results[1].rps / results[30].rps
    section.add(
        "30-chart page vs 1-chart page",
        f"{ratio:.2f}x the time per request",
        f"≤ {GOAL_RATIO}x",
        ratio <= GOAL_RATIO,
    )
    section.note(
        "Repeat-visit queries for the 30-chart page: " + "; ".join(counts["bench-30"]["repeat"]["sql"])
    )
    section.note(
        f"wrk -t2 -c16 -d{seconds}s, one session (alice, tenant acme); the page's token is minted by "
        "the warm-up and reused from the session afterwards, as it is for a person reloading the page."
    )
