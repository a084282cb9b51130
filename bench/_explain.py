"""The query plan of a pipe on a bench server's analytics database, and the indexes on orders.

Run by bench/pipe_bench.py with the server's environment::

    python bench/_explain.py plan kpi_totals company_id=acme [date_from=...]   # JSON
    python bench/_explain.py indexes     # JSON: the indexes on orders, their columns and sizes
    python bench/_explain.py narrow      # replace them by one on (company_id, date) only

``plan`` binds the pipe's SQL exactly as ``pipes.query.execute`` does (same wrapper, same bound
params) and asks the database how it runs it: EXPLAIN QUERY PLAN on SQLite, EXPLAIN (ANALYZE,
BUFFERS) on PostgreSQL (which also says how many rows each step really read).
"""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import django

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
django.setup()

from django.db import connections  # noqa: E402

from pipes import sql as pipe_sql  # noqa: E402
from pipes.models import Pipe  # noqa: E402
from pipes.query import resolve_params  # noqa: E402

NARROW = ("company_id", "date")
NARROW_NAME = "orders__bench_narrow"


def plan(pipe_name: str, pairs: list[str]) -> dict:
    pipe = Pipe.objects.prefetch_related("params").get(name=pipe_name)
    declared = list(pipe.params.all())
    fixed = dict(pair.split("=", 1) for pair in pairs)
    values = resolve_params(declared, {}, fixed)
    names = {p.name for p in declared}
    bound = pipe_sql.bind(pipe_sql.strip_terminator(pipe.sql), names)
    query = f"SELECT * FROM (\n{bound}\n) AS pipe_result LIMIT 100001"
    params = {name: values.get(name) for name in names}
    connection = connections["analytics"]
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("EXPLAIN QUERY PLAN " + query, params)
            lines = [row[-1] for row in cursor.fetchall()]
        else:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS, TIMING OFF) " + query, params)
            lines = [row[0] for row in cursor.fetchall()]
        cursor.execute("SELECT COUNT(*) FROM orders")
        total = cursor.fetchone()[0]
        cursor.execute("SELECT COUNT(*) FROM orders WHERE company_id = %s", [fixed.get("company_id")])
        tenant_rows = cursor.fetchone()[0]
    return {"vendor": connection.vendor, "plan": lines, "rows": total, "tenant_rows": tenant_rows}


def indexes() -> dict:
    """The indexes on orders: their columns and bytes on disk, and the table's bytes."""
    connection = connections["analytics"]
    result: dict = {"indexes": {}}
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'orders'")
            names = [row[0] for row in cursor.fetchall()]
            for name in names:
                cursor.execute("SELECT name FROM pragma_index_info(%s) ORDER BY seqno", [name])
                columns = [row[0] for row in cursor.fetchall()]
                cursor.execute("SELECT SUM(pgsize) FROM dbstat WHERE name = %s", [name])
                result["indexes"][name] = {"columns": columns, "bytes": cursor.fetchone()[0]}
            cursor.execute("SELECT SUM(pgsize) FROM dbstat WHERE name = 'orders'")
        else:
            cursor.execute(
                "SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid), pg_relation_size(indexrelid) "
                "FROM pg_index WHERE indrelid = 'orders'::regclass"
            )
            for name, definition, size in cursor.fetchall():
                columns = definition.rsplit("(", 1)[-1].rstrip(")").replace('"', "").split(", ")
                result["indexes"][name] = {"columns": columns, "bytes": size}
            cursor.execute("SELECT pg_relation_size('orders')")
        result["table_bytes"] = cursor.fetchone()[0]
    return result


def narrow() -> dict:
    """Replace the indexes on orders by one on (company_id, date) only: the trade-off's other side."""
    connection = connections["analytics"]
    existing = indexes()["indexes"]
    with connection.cursor() as cursor:
        for name in existing:
            cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")
        started = time.perf_counter()
        cursor.execute(f"CREATE INDEX {NARROW_NAME} ON orders ({', '.join(NARROW)})")
        seconds = time.perf_counter() - started
        if connection.vendor == "postgresql":
            cursor.execute("ANALYZE orders")
    return {"seconds": seconds, **indexes()}


if __name__ == "__main__":
    command, *args = sys.argv[1:]
    if command == "plan":
        print(json.dumps(plan(args[0], args[1:])))
    elif command == "indexes":
        print(json.dumps(indexes()))
    elif command == "narrow":
        print(json.dumps(narrow()))
    else:
        raise SystemExit(f"unknown command {command}")
