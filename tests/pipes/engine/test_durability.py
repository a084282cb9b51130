"""The data folder outlives the process, and a process killed during an INSERT leaves either
none or all of that batch: ClickHouse writes a part to a temporary folder and renames it into
place, and the engine keeps a batch in one block, hence one part per partition. (A batch over
several partitions is several parts, committed one by one: see pipes.engine.base.insert_settings.)"""
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

COUNT = """
from pipes.engine import ChdbEngine
engine = ChdbEngine({folder!r})
print(engine.query("SELECT count() AS c, sum(n) AS s FROM orders").data[0])
engine.close()
"""


def test_the_data_folder_survives_a_restart(tmp_path: Path) -> None:
    folder = str(tmp_path / "data")
    write = run_python(
        f"""
        from pipes.engine import ChdbEngine
        engine = ChdbEngine({folder!r})
        engine.command("CREATE TABLE orders (tenant String, n UInt64) ENGINE = MergeTree ORDER BY (tenant, n)")
        engine.insert("orders", ["tenant", "n"], ([f"t{{i % 3}}", i] for i in range(1000)))
        engine.close()
        print("written")
        """
    )
    assert write.stdout.strip() == "written", write.stderr
    # A process that ends without close() keeps its inserts too.
    append = run_python(
        f"""
        import os
        from pipes.engine import ChdbEngine
        engine = ChdbEngine({folder!r})
        engine.insert("orders", ["tenant", "n"], [["t0", 1000]])
        print("appended", flush=True)
        os._exit(0)
        """
    )
    assert append.stdout.strip() == "appended", append.stderr
    read = run_python(COUNT.format(folder=folder))
    assert read.stdout.strip() == str({"c": 1001, "s": sum(range(1001))}), read.stderr


BATCH = 200_000
KILLER = """
from pipes.engine import ChdbEngine

class Signalling(ChdbEngine):
    armed = False

    def _insert_batch(self, *args, **kwargs):
        # Says when the encoded batch goes to ClickHouse, so that the kill lands inside its write.
        if self.armed:
            print("inserting", flush=True)
        super()._insert_batch(*args, **kwargs)

engine = Signalling({folder!r})
# Partitioned, but every row takes the default date: the batch is in one partition.
engine.command(
    "CREATE TABLE IF NOT EXISTS orders (tenant String, n UInt64, note String, d Date DEFAULT '2024-05-01') "
    "ENGINE = MergeTree PARTITION BY toYYYYMM(d) ORDER BY (tenant, n)"
)
if not engine.query("SELECT count() AS c FROM orders").data[0]["c"]:
    engine.insert("orders", ["tenant", "n", "note"], [["base", i, "x"] for i in range(1000)])
rows = [[f"t{{i % 7}}", 1000 + i, "some text to make the batch heavier"] for i in range({batch})]
engine.armed = True
engine.insert("orders", ["tenant", "n", "note"], rows, batch_rows={batch})
print("inserted", flush=True)
"""


def test_a_process_killed_during_an_insert_leaves_none_or_all_of_the_batch(tmp_path: Path) -> None:
    folder = str(tmp_path / "data")
    code = KILLER.format(folder=folder, batch=BATCH)
    seen: list[int] = []
    for delay in (0.1, 0.35, 0.7):
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
            print(engine.query("SELECT count() AS c FROM orders WHERE tenant != 'base'").data[0]["c"])
            engine.command("TRUNCATE TABLE orders")
            engine.insert("orders", ["tenant", "n", "note"], [["base", i, "x"] for i in range(1000)])
            """
        )
        assert read.returncode == 0, read.stderr
        batch_rows = int(read.stdout.strip())
        assert batch_rows in (0, BATCH), f"killed after {delay}s: {batch_rows} of {BATCH} rows visible"
        seen.append(batch_rows)
    print(f"killed 0.1/0.35/0.7 s after the INSERT of {BATCH} rows began; visible after: {seen}")
