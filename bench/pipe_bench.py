"""4. The pipe API: p50 and p99 of tenant-filtered aggregates at 100k, 1M (and 10M) rows, on
SQLite and PostgreSQL.

For each database a Panes server gets its own data (a temporary SQLite folder, or the databases
panes_bench and panes_bench_analytics on 127.0.0.1:5432, dropped at the end) and the demo's orders
at each size, loaded by ``manage.py demo --rows N`` (the product's own loader and the demo's
covering index on (company_id, date, amount, city, product)). Requests are sequential, over one keep-alive connection, with a JWT fixing
company_id=acme (the largest tenant: 45% of the rows), as a chart frame sends them. Then the same
with that index replaced by one on (company_id, date) only, to show the trade-off.
"""
from __future__ import annotations

import http.client
import json
import time
from pathlib import Path

import jwt

from _common import BENCH, Section, kb, ms, percentile
from _server import PanesServer, postgres_available

COMPANY = "acme"
GOAL_MS = 50
NARROW_MAX_ROWS = 1_000_000  # the (company_id, date)-only variant is too slow to time beyond this
# (label, pipe, query string)
CASES = [
    ("kpi_totals", "kpi_totals", ""),
    ("sales_by_city", "sales_by_city", ""),
    ("kpi_totals, one month", "kpi_totals", "?date_from=2026-03-01&date_to=2026-03-31"),
]


def _token(server: PanesServer) -> str:
    now = int(time.time())
    payload = {
        "workspace_id": "00000000-0000-4000-8000-00000000fa9e",
        "name": "bench:pipes",
        "iat": now,
        "exp": now + 3600,
        "scopes": [
            {"type": "PIPES:READ", "resource": pipe, "fixed_params": {"company_id": COMPANY}}
            for pipe in {case[1] for case in CASES}
        ],
    }
    return jwt.encode(payload, server.admin_token, algorithm="HS256")


def _measure(server: PanesServer, token: str, path: str, *, count: int, budget: float) -> tuple[list[float], dict]:
    """Latencies of up to ``count`` sequential requests (at least 5, at most ``budget`` seconds)."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=120)
    headers = {"Authorization": f"Bearer {token}"}
    body: dict = {}
    try:
        for _ in range(2):  # warm the connection, the worker and the database's cache
            conn.request("GET", path, headers=headers)
            response = conn.getresponse()
            body = json.loads(response.read())
            if response.status != 200:
                raise RuntimeError(f"{path} answered {response.status}: {body}")
        times: list[float] = []
        deadline = time.perf_counter() + budget
        while len(times) < count and (len(times) < 5 or time.perf_counter() < deadline):
            started = time.perf_counter()
            conn.request("GET", path, headers=headers)
            response = conn.getresponse()
            response.read()
            times.append(time.perf_counter() - started)
    finally:
        conn.close()
    return times, body


def _plan_summary(info: dict) -> str:
    if info["vendor"] == "sqlite":
        return "; ".join(info["plan"])
    # PostgreSQL: the scan nodes and how many rows they really read.
    steps = [line.strip().lstrip("-> ").strip() for line in info["plan"] if "Scan" in line or "Index Cond" in line]
    return "; ".join(steps)


def run(section: Section, work: Path, *, sizes: list[int], databases: list[str], quick: bool = False) -> None:
    if "postgres" in databases and not postgres_available():
        section.note("PostgreSQL is not reachable on 127.0.0.1:5432 as user postgres: SQLite only.")
        databases = [d for d in databases if d != "postgres"]
    for database in databases:
        server = PanesServer(work / f"pipes-{database}", database=database)
        try:
            server.prepare(rows=sizes[0])
            server.start()
            token = _token(server)
            for i, size in enumerate(sizes):
                load_seconds = None if i == 0 else server.load(size)
                _run_size(section, server, token, database, size, load_seconds, quick=quick)
        except Exception as exc:  # keep the other database's figures
            section.add(f"{database}: FAILED", f"{type(exc).__name__}: {(str(exc).splitlines() or [''])[0][:200]}")
        finally:
            server.drop()
    section.note(
        "rows_read is what the built-in host reports (rows it fetched: 1 for an aggregate), not rows "
        "scanned; the plans show the scan. tenant rows: the orders with company_id=acme."
    )


def _run_size(section: Section, server: PanesServer, token: str, database: str, size: int, load_seconds: float | None, *, quick: bool) -> None:
    label = f"{database} {size / 1e6:g}M" if size >= 1_000_000 else f"{database} {size // 1000}k"
    count = 20 if quick else (60 if size <= 1_000_000 else 15)
    budget = 10 if quick else 30
    if load_seconds is not None:
        section.note(f"{label}: demo load of {size:,} orders took {load_seconds:.0f} s")
    for variant in ("covering index", "(company_id, date) index"):
        if variant != "covering index" and size > NARROW_MAX_ROWS:
            section.note(
                f"{label}, {variant}: not measured: at 1M rows it already takes seconds a request, "
                "and above that a request outlasts gunicorn's 30 s worker timeout."
            )
            continue
        if variant == "covering index":
            info = json.loads(server.script(BENCH / "_explain.py", "indexes"))
        else:
            info = json.loads(server.script(BENCH / "_explain.py", "narrow"))
        section.note(
            f"{label}, {variant}: table {kb(info['table_bytes'] or 0)}; "
            + "; ".join(f"index ({', '.join(i['columns'])}) {kb(i['bytes'] or 0)}" for i in info["indexes"].values())
            + (f"; built in {info['seconds']:.1f} s" if "seconds" in info else "")
        )
        for case, pipe, query in CASES:
            times, body = _measure(
                server, token, f"/v0/pipes/{pipe}.json{query}", count=count, budget=budget if variant == "covering index" else budget / 2
            )
            p50 = percentile(times, 50)
            is_goal = database == "sqlite" and size == 1_000_000 and case == "kpi_totals"
            section.add(
                f"{label}, {variant}: {case}",
                f"p50 {ms(p50)}, p99 {ms(percentile(times, 99))} ({len(times)} requests; rows_read "
                f"{body['statistics']['rows_read']})",
                f"p50 < {GOAL_MS} ms" if is_goal else "",
                (p50 * 1000 < GOAL_MS) if is_goal else None,
            )
            if case in ("kpi_totals", "kpi_totals, one month"):
                args = ["plan", pipe, f"company_id={COMPANY}"]
                if query:
                    args += query.lstrip("?").split("&")
                info = json.loads(server.script(BENCH / "_explain.py", *args))
                section.note(
                    f"{label}, {variant}, {case} ({info['tenant_rows']:,} tenant rows of {info['rows']:,}): "
                    f"{_plan_summary(info)}"
                )
