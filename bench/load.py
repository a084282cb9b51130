"""Load test: many tenants' sessions on a real Panes at once, checking every row they get.

Starts Panes under gunicorn on 127.0.0.1 (2 workers) with the demo loaded, logs in sessions of
alice (Acme), bob (Globex) and carol (both: half her sessions switch to Globex), and has
``--concurrency`` threads, one session and one keep-alive connection each, drive for
``--duration`` seconds:

- the dashboard page ``/d/sales-overview/``,
- its token endpoint ``/d/sales-overview/token.json`` (the tenant it names must be the session's),
- the pipe API ``/v0/pipes/kpi_totals.json`` and ``/v0/pipes/sales_by_city.json`` with the
  session's token.

Each pipe response is compared with the session tenant's figures, computed once straight from
the analytics database: a row that is not the tenant's own counts as a cross-tenant row. Prints
requests per second, p50 and p99 per route, errors and cross-tenant rows (``--json``: one JSON
line), and exits non-zero if there were errors or cross-tenant rows.

    .venv/bin/python bench/load.py --duration 60 --concurrency 8
    .venv/bin/python bench/load.py --postgres      # fresh PostgreSQL databases + Redis cache

It only ever talks to 127.0.0.1 and stops by itself.
"""
from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import tempfile
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

sys.path.append(str(Path(__file__).resolve().parents[1]))  # the repository root, for tests.support

from tests.support import liveserver as panes_server  # noqa: E402

DASHBOARD = "sales-overview"
REDIS_URL = "redis://127.0.0.1:6379/3"  # its own db number: tests use /1 and /2
ROUTES = ("dashboard", "token", "kpi_totals", "sales_by_city")
COMPANIES = ("acme", "globex")
TOKEN_RE = re.compile(r'#token=([A-Za-z0-9._%-]+)')


@dataclass
class Figures:
    """One tenant's expected pipe results."""

    kpi: tuple
    cities: dict[str, tuple]


def money(value: float | None) -> float:
    return round(float(value or 0), 2)


def expected_figures(server: panes_server.Server) -> dict[str, Figures]:
    figures = {}
    for company in COMPANIES:
        (revenue, orders), = server.sql(
            "SELECT SUM(amount), COUNT(*) FROM orders WHERE company_id = ?", (company,), database="analytics"
        )
        cities = server.sql(
            "SELECT city, SUM(amount), COUNT(*) FROM orders WHERE company_id = ? GROUP BY city",
            (company,),
            database="analytics",
        )
        figures[company] = Figures(
            kpi=(money(revenue), int(orders)), cities={c: (money(r), int(n)) for c, r, n in cities}
        )
    return figures


@dataclass
class Tally:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    error_samples: list[str] = field(default_factory=list)
    cross_tenant_rows: int = 0
    lock = threading.Lock()

    def error(self, route: str, what: str) -> None:
        with self.lock:
            self.errors[route] += 1
            if len(self.error_samples) < 10:
                self.error_samples.append(f"{route}: {what}")


def cross_tenant(route: str, rows: list[dict], mine: Figures) -> int:
    """How many rows are not the session tenant's own."""
    if route == "kpi_totals":
        return sum(1 for r in rows if (money(r.get("revenue")), int(r.get("orders") or 0)) != mine.kpi)
    return sum(1 for r in rows if mine.cities.get(r.get("city")) != (money(r.get("revenue")), int(r.get("orders") or 0)))


class Worker(threading.Thread):
    def __init__(self, port: int, username: str, tenant: str, switch_to: str | None, figures: dict, deadline: float, tally: Tally) -> None:
        super().__init__(daemon=True)
        self.session = panes_server.HttpSession(port)
        self.username, self.tenant, self.switch_to = username, tenant, switch_to
        self.figures, self.deadline, self.tally = figures, deadline, tally
        self.token: str | None = None

    def setup(self) -> None:
        self.session.login(self.username)
        if self.switch_to:
            _, _, body = self.session.get("/")
            match = re.search(r'<option value="(\d+)"[^>]*>' + re.escape(self.switch_to.title()), body.decode())
            status, _, _ = self.session.post_form("/tenant/", {"tenant": match.group(1) if match else ""})
            if status != 302:
                raise RuntimeError(f"{self.username} could not switch to {self.switch_to} ({status})")

    def timed(self, route: str, path: str, **headers: str) -> tuple[int, bytes] | None:
        started = time.perf_counter()
        try:
            status, _, body = self.session.get(path, **headers)
        except Exception as exc:  # a refused or dropped connection is an error, not a crash
            self.tally.error(route, f"{type(exc).__name__}: {exc}")
            self.session.close()
            return None
        elapsed = time.perf_counter() - started
        with self.tally.lock:
            self.tally.latencies[route].append(elapsed)
        if status != 200:
            self.tally.error(route, f"HTTP {status}: {body[:120]!r}")
            return None
        return status, body

    def step(self) -> None:
        answer = self.timed("dashboard", f"/d/{DASHBOARD}/")
        if answer and not TOKEN_RE.search(answer[1].decode()):
            self.tally.error("dashboard", "no chart frame with a token")
        answer = self.timed("token", f"/d/{DASHBOARD}/token.json", Accept="application/json")
        if answer:
            document = json.loads(answer[1])
            if document.get("tenant") != self.tenant:
                with self.tally.lock:
                    self.tally.cross_tenant_rows += 1
            self.token = document.get("token")
        if not self.token:
            return
        for pipe in ("kpi_totals", "sales_by_city"):
            answer = self.timed(pipe, f"/v0/pipes/{pipe}.json", Authorization=f"Bearer {self.token}")
            if answer:
                bad = cross_tenant(pipe, json.loads(answer[1])["data"], self.figures[self.tenant])
                if bad:
                    with self.tally.lock:
                        self.tally.cross_tenant_rows += bad

    def run(self) -> None:
        while time.monotonic() < self.deadline:
            self.step()
        self.session.close()


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def sessions(concurrency: int) -> list[tuple[str, str, str | None]]:
    """(username, expected tenant, tenant to switch to) for each worker, cycling the personas."""
    personas = [("alice", "acme", None), ("bob", "globex", None), ("carol", "acme", None), ("carol", "globex", "globex")]
    return [personas[i % len(personas)] for i in range(concurrency)]


def run(duration: float, concurrency: int, *, postgres: bool = False, rows: int = 20_000) -> dict:
    data_dir = Path(tempfile.mkdtemp(prefix="panes-load-"))
    if postgres:
        import redis

        redis.Redis.from_url(REDIS_URL).flushdb()
    server = panes_server.start(data_dir, demo_rows=rows, postgres=postgres, cache_url=REDIS_URL if postgres else "")
    try:
        figures = expected_figures(server)
        tally = Tally()
        workers = [
            Worker(server.port, user, tenant, switch, figures, 0, tally) for user, tenant, switch in sessions(concurrency)
        ]
        for worker in workers:
            worker.setup()
        started = time.monotonic()
        for worker in workers:
            worker.deadline = started + duration
            worker.start()
        for worker in workers:
            worker.join(duration + 60)
        elapsed = time.monotonic() - started
    finally:
        panes_server.stop(server)
        if postgres:
            redis.Redis.from_url(REDIS_URL).flushdb()
    total = sum(len(v) for v in tally.latencies.values())
    return {
        "backend": "postgresql+redis" if postgres else "sqlite",
        "duration_s": round(elapsed, 1),
        "concurrency": concurrency,
        "requests": total,
        "requests_per_second": round(total / elapsed, 1),
        "routes": {
            route: {
                "requests": len(tally.latencies[route]),
                "p50_ms": round(percentile(tally.latencies[route], 50) * 1000, 1),
                "p99_ms": round(percentile(tally.latencies[route], 99) * 1000, 1),
                "errors": tally.errors[route],
            }
            for route in ROUTES
        },
        "errors": sum(tally.errors.values()),
        "error_samples": tally.error_samples,
        "cross_tenant_rows": tally.cross_tenant_rows,
    }


def report(result: dict) -> str:
    lines = [
        f"Panes load, {result['backend']}: {result['concurrency']} sessions for {result['duration_s']} s",
        f"{result['requests']} requests, {result['requests_per_second']} per second",
        f"{'route':<15}{'requests':>10}{'p50 ms':>10}{'p99 ms':>10}{'errors':>8}",
    ]
    for route, r in result["routes"].items():
        lines.append(f"{route:<15}{r['requests']:>10}{r['p50_ms']:>10}{r['p99_ms']:>10}{r['errors']:>8}")
    lines.append(f"errors: {result['errors']}   cross-tenant rows: {result['cross_tenant_rows']}")
    lines += [f"  {sample}" for sample in result["error_samples"]]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=60, help="seconds of load (default 60)")
    parser.add_argument("--concurrency", type=int, default=8, help="sessions driving at once (default 8)")
    parser.add_argument("--postgres", action="store_true", help="PostgreSQL databases and the Redis cache")
    parser.add_argument("--rows", type=int, default=20_000, help="demo orders to load (default 20,000)")
    parser.add_argument("--json", action="store_true", help="print one JSON line instead of the table")
    args = parser.parse_args(argv)
    result = run(args.duration, args.concurrency, postgres=args.postgres, rows=args.rows)
    print(json.dumps(result) if args.json else report(result))
    return 1 if result["errors"] or result["cross_tenant_rows"] else 0


if __name__ == "__main__":
    sys.exit(main())
