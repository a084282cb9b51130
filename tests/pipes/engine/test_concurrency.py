"""Four threads share one ChdbEngine: each thread has its own chDB connection, and every one of
800 parameterised queries gets its own, right answer.

For comparison (a figure, not an assertion) the same load on ONE shared chDB connection: there,
queries fail with "Substitution `tenant` is not set" or, worse, run with another thread's
parameters and return another tenant's numbers."""
from __future__ import annotations

import json
import threading
from collections.abc import Callable

import chdb

from pipes.engine import ChdbEngine
from pipes.engine.base import parameter_values

THREADS, QUERIES, TENANTS, ROWS = 4, 200, 20, 20_000
SQL = "SELECT count() AS c FROM {table} WHERE tenant = {{tenant:String}} AND n >= {{low:UInt64}}"


def expected(tenant: int, low: int) -> int:
    first = low + (tenant - low) % TENANTS  # the first n >= low of this tenant
    return 0 if first >= ROWS else (ROWS - 1 - first) // TENANTS + 1


def hammer(run: Callable[[str, int], int]) -> list[str]:
    """THREADS threads × QUERIES queries; returns one line per wrong answer or error."""
    failures: list[str] = []
    lock = threading.Lock()

    def worker(k: int) -> None:
        for i in range(QUERIES):
            tenant, low = (k * 7 + i) % TENANTS, (i * 37) % 1000
            try:
                answer = run(f"t{tenant}", low)
                problem = None if answer == expected(tenant, low) else f"wrong count {answer}"
            except Exception as error:  # noqa: BLE001 - counted, not raised
                problem = str(error)[:80]
            if problem:
                with lock:
                    failures.append(problem)

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return failures


def test_four_threads_with_their_own_connections_never_fail(
    chdb_engine: ChdbEngine, table_name: Callable[[str], str]
) -> None:
    table = table_name("concurrency")
    chdb_engine.command(f"CREATE TABLE {table} (tenant LowCardinality(String), n UInt64) ENGINE = MergeTree ORDER BY (tenant, n)")
    chdb_engine.command(f"INSERT INTO {table} SELECT concat('t', toString(number % {TENANTS})), number FROM numbers({ROWS})")
    sql = SQL.format(table=table)

    failures = hammer(lambda tenant, low: chdb_engine.query(sql, {"tenant": tenant, "low": low}).data[0]["c"])
    assert failures == []

    shared = chdb.connect(str(chdb_engine.path))  # the same folder: a second connection is allowed
    try:
        shared.query(f"USE {chdb_engine.database}")

        def on_shared(tenant: str, low: int) -> int:
            body = shared.query(sql, "JSON", params=parameter_values({"tenant": tenant, "low": low})).bytes()
            return int(json.loads(body)["data"][0]["c"])

        shared_failures = hammer(on_shared)
    finally:
        shared.close()
    print(
        f"\n{THREADS}x{QUERIES} parameterised queries: per-thread connections {len(failures)} failures; "
        f"one shared connection {len(shared_failures)} failures {sorted(set(shared_failures))[:2]}"
    )
