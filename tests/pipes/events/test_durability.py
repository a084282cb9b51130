"""A process killed while /v0/events writes a request leaves none or all of its rows: the
request's rows are one INSERT of one block, one part per partition, renamed into place at once.
(Rows of one request spread over several partitions are several parts, committed one after
another: a kill can leave some partitions of it; see pipes.engine.base.insert_settings.)"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.pipes.engine.conftest import ROOT, run_python

pytestmark = pytest.mark.slow

LINES = 200_000
KILLER = """
from pipes import events
from pipes.datafiles import parse_datasource
from pipes.engine import ChdbEngine
from pipes.engine.ddl import create_quarantine_table, create_table

class Signalling(ChdbEngine):
    def _insert_batch(self, table_sql, *args, **kwargs):
        # Says when the batch goes to ClickHouse, so that the kill lands inside its write.
        if "kill_ds" in table_sql and "quarantine" not in table_sql:
            print("inserting", flush=True)
        super()._insert_batch(table_sql, *args, **kwargs)

datasource = parse_datasource('''SCHEMA >
    `tenant` String `json:$.t.id`,
    `n` UInt64 `json:$.n`,
    `note` String `json:$.note` DEFAULT '',
    `d` Date `json:$.d` DEFAULT toDate('2024-05-01')

ENGINE "MergeTree"
ENGINE_PARTITION_KEY "toYYYYMM(d)"
ENGINE_SORTING_KEY "tenant, n"
''', "kill_ds.datasource")
engine = Signalling({folder!r})
engine.command(create_table(datasource, if_not_exists=True))
engine.command(create_quarantine_table(datasource, if_not_exists=True))
body = "".join(
    '{{"t": {{"id": "t%d"}}, "n": %d, "note": "some text to make the batch heavier"}}\\n' % (i % 7, i)
    for i in range({lines})
).encode()
print(events.ingest(engine, datasource, body).as_json(), flush=True)
"""


def test_a_process_killed_during_ingestion_leaves_none_or_all_of_the_request(tmp_path: Path) -> None:
    folder = str(tmp_path / "data")
    code = KILLER.format(folder=folder, lines=LINES)
    seen: list[int] = []
    for delay in (0.05, 0.3, 0.6):
        child = subprocess.Popen(
            [sys.executable, "-c", code], cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        assert child.stdout is not None
        line = child.stdout.readline()
        assert line.strip() == "inserting", child.stderr.read() if child.stderr else ""
        time.sleep(delay)
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
        read = run_python(
            f"""
            from pipes.engine import ChdbEngine
            engine = ChdbEngine({folder!r})
            print(engine.query("SELECT count() AS c FROM kill_ds").data[0]["c"])
            engine.command("TRUNCATE TABLE kill_ds")
            """
        )
        assert read.returncode == 0, read.stderr
        stored = int(read.stdout.strip())
        assert stored in (0, LINES), f"killed after {delay}s: {stored} of {LINES} rows visible"
        seen.append(stored)
    print(f"killed 0.05/0.3/0.6 s after the INSERT of {LINES} lines began; visible after: {seen}")
