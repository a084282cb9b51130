"""Events API ingestion: MB/s of NDJSON into a datasource with jsonpaths, DEFAULTs and a
materialized view, on a chDB folder of its own (run alone: ``.venv/bin/python bench/events_bench.py``).

Three figures: ``pipes.events.ingest`` on one 20 MB body (no HTTP), the same 20 MB as two 10 MB
requests through the view (Django's test client, gzip off and on), and a 20 MB body with 1% bad
lines (the fallback that finds them). Printed, never asserted.
"""
from __future__ import annotations

import gzip
import json
import os
import random
import sys
import tempfile
import textwrap
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.test_settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.test import Client  # noqa: E402

from pipes import catalogue, events  # noqa: E402
from pipes.datafiles import load_project  # noqa: E402
from pipes.engine import runtime  # noqa: E402
from pipes.engine.ddl import create_materialized_view, create_quarantine_table, create_table  # noqa: E402

DATASOURCES = {
    "datasources/bench_events.datasource": """
        SCHEMA >
            `ts` DateTime `json:$.timestamp`,
            `company_id` LowCardinality(String) `json:$.company.id`,
            `session_id` String `json:$.session_id`,
            `action` LowCardinality(String) `json:$.action` DEFAULT 'none',
            `city` LowCardinality(String) `json:$.geo.city` DEFAULT 'unknown',
            `amount` Float64 `json:$.amount`,
            `quantity` UInt16 `json:$.quantity` DEFAULT 1,
            `tags` Array(String) `json:$.items[:].tag`,
            `referrer` Nullable(String) `json:$.referrer`

        ENGINE "MergeTree"
        ENGINE_PARTITION_KEY "toYYYYMM(ts)"
        ENGINE_SORTING_KEY "company_id, ts"
        """,
    "datasources/bench_daily.datasource": """
        SCHEMA >
            `company_id` LowCardinality(String),
            `day` Date,
            `orders` UInt64,
            `revenue` Float64

        ENGINE "SummingMergeTree"
        ENGINE_SORTING_KEY "company_id, day"
        """,
}
VIEW_SQL = """
SELECT company_id, toDate(ts) AS day, count() AS orders, sum(amount) AS revenue
FROM bench_events GROUP BY company_id, day
"""
MB = 1024 * 1024


def make_body(size: int, bad_ratio: float = 0.0, seed: int = 1, bad_date_ratio: float = 0.0) -> tuple[bytes, int]:
    rng = random.Random(seed)
    companies = [f"company_{i}" for i in range(50)]
    cities = ["Berlin", "Paris", "Rome", "Madrid", "Lisbon", "Vienna"]
    lines: list[bytes] = []
    total = 0
    while total < size:
        event = {
            "timestamp": f"2026-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d} {rng.randint(0, 23):02d}:00:00",
            "company": {"id": rng.choice(companies), "plan": "pro"},
            "session_id": f"{rng.getrandbits(64):016x}",
            "action": rng.choice(["view", "click", "buy"]),
            "geo": {"city": rng.choice(cities), "country": "EU"},
            "amount": round(rng.random() * 100, 2),
            "quantity": rng.randint(1, 9),
            "items": [{"tag": rng.choice("abcdef")} for _ in range(rng.randint(0, 3))],
        }
        if rng.random() < bad_ratio:
            event["amount"] = "not a number"
        if rng.random() < bad_date_ratio:
            event["timestamp"] = "not a date"
        line = json.dumps(event).encode() + b"\n"
        lines.append(line)
        total += len(line)
    return b"".join(lines), len(lines)


def main() -> None:
    engine = runtime.engine()
    base = Path(settings.PIPES_PROJECT_DIR)
    release = base / catalogue.RELEASES / "bench"
    for relative, text in DATASOURCES.items():
        path = release / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip())
    project = load_project(release)
    for datasource in project.datasources.values():
        engine.command(create_table(datasource, database=engine.database))
        engine.command(create_quarantine_table(datasource, database=engine.database))
    engine.command(create_materialized_view("bench_daily_mv", "bench_daily", VIEW_SQL, database=engine.database))
    catalogue.publish(release)
    datasource = project.datasources["bench_events"]

    body, lines = make_body(20 * MB)
    events.ingest(engine, datasource, make_body(MB // 4, seed=9)[0])  # warm up
    started = time.perf_counter()
    outcome = events.ingest(engine, datasource, body)
    elapsed = time.perf_counter() - started
    print(f"ingest(), one 20 MB body ({lines:,} lines): {len(body) / MB / elapsed:.1f} MB/s, {elapsed:.2f} s, {outcome.as_json()}")

    # the parts, as ingest() does them: Python (parse, jsonpaths, encode) and ClickHouse (INSERT + view)
    fields = events.fields_of(datasource)
    started = time.perf_counter()
    encoded = []
    for line in events.split_lines(body):
        row = events.transform(line, fields)
        if isinstance(row, dict):
            encoded.append(events._dumps(row))
    data = events._joined(encoded)
    python_s = time.perf_counter() - started
    started = time.perf_counter()
    engine.insert_raw(datasource.name, [f.name for f in fields], data, fmt="JSONEachRow", max_rows=len(encoded))
    clickhouse_s = time.perf_counter() - started
    print(f"  of which Python {python_s:.2f} s ({len(body) / MB / python_s:.1f} MB/s), ClickHouse INSERT + view {clickhouse_s:.2f} s ({len(body) / MB / clickhouse_s:.1f} MB/s)")

    client = Client()
    token = os.environ[settings.PIPES_ADMIN_TOKEN_ENV]
    halves = [make_body(10 * MB - 64 * 1024, seed=seed)[0] for seed in (2, 3)]
    for gzipped in (False, True):
        payloads = [gzip.compress(half, 1) if gzipped else half for half in halves]
        extra: dict[str, Any] = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
        if gzipped:
            extra["HTTP_CONTENT_ENCODING"] = "gzip"
        started = time.perf_counter()
        for payload in payloads:
            response = client.generic(
                "POST", "/v0/events?name=bench_events", payload, content_type="application/x-ndjson", **extra
            )
            assert response.status_code == 202, response.content
        elapsed = time.perf_counter() - started
        size = sum(len(half) for half in halves)
        label = "gzip (level 1)" if gzipped else "plain"
        print(f"HTTP, 2 x 10 MB requests, {label}: {size / MB / elapsed:.1f} MB/s of NDJSON, {elapsed:.2f} s")

    bad, bad_lines = make_body(20 * MB, bad_ratio=0.01, seed=5)
    started = time.perf_counter()
    outcome = events.ingest(engine, datasource, bad)
    elapsed = time.perf_counter() - started
    print(f"ingest(), 20 MB with 1% bad lines (caught in Python): {len(bad) / MB / elapsed:.1f} MB/s, {elapsed:.2f} s, {outcome.as_json()}")
    for ratio in (0.0001, 0.01):
        bad, _ = make_body(20 * MB, bad_date_ratio=ratio, seed=7)
        started = time.perf_counter()
        outcome = events.ingest(engine, datasource, bad)
        elapsed = time.perf_counter() - started
        print(f"ingest(), 20 MB with {ratio:.2%} bad dates (found by ClickHouse): {len(bad) / MB / elapsed:.1f} MB/s, {elapsed:.2f} s, {outcome.as_json()}")
    totals = engine.query(f"SELECT sum(orders) AS n FROM {engine.database}.bench_daily").data[0]["n"]
    stored = engine.query(f"SELECT count() AS n FROM {engine.database}.bench_events").data[0]["n"]
    print(f"view rows counted {totals:,} = stored rows {stored:,}: {totals == stored}")


if __name__ == "__main__":
    main()
