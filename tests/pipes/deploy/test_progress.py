"""Long statements of a deploy or a copy print rows read of the total, with an ETA."""
from __future__ import annotations

import threading
from types import SimpleNamespace

import pytest

from pipes.deploy import Progress, run_with_progress
from pipes.engine import ChdbEngine, EngineError


def test_each_step_prints_its_count_and_an_eta() -> None:
    lines: list[str] = []
    progress = Progress(lines.append, "datasources", 2)
    progress.advance("a (new)")
    progress.advance("b (new)")
    assert lines[0] == "datasources: 2"
    assert lines[1].startswith("  datasources 1/2 a (new) (") and "eta" in lines[1]
    assert lines[2].endswith("eta 0.0s)")


def test_a_long_insert_reports_rows_read_of_the_total(engine: ChdbEngine) -> None:
    engine.command("CREATE TABLE numbers_copy (n UInt64) ENGINE = MergeTree ORDER BY n")
    lines: list[str] = []
    run_with_progress(
        engine,
        "INSERT INTO numbers_copy SELECT number FROM numbers(60000000) WHERE cityHash64(number) % 7 = 0",
        lines.append,
        "numbers",
        every=0.05,
    )
    # A poll may come before ClickHouse has estimated the total; then the line says so.
    estimated = [line for line in lines if "total not known yet" not in line]
    assert estimated and all("/60,000,000 rows read" in line and "eta" in line for line in estimated)
    assert all(line.startswith("    numbers: ") and " rows read (" in line for line in lines)
    assert engine.query("SELECT count() > 0 AS filled FROM numbers_copy").data == [{"filled": 1}]


def test_a_failing_statement_raises_in_the_caller(engine: ChdbEngine) -> None:
    with pytest.raises(EngineError):
        run_with_progress(engine, "INSERT INTO no_such_table SELECT 1", lambda line: None, "x")


class _SlowStatement:
    """An engine whose statement runs until the third progress poll, and whose system.processes
    first has no estimate of the total (total_rows_approx 0), then one."""

    def __init__(self) -> None:
        self.polls = [{"done": 0, "total": 0}, {"done": 5_000, "total": 20_000}, {"done": 20_000, "total": 20_000}]
        self.finished = threading.Event()

    def command(self, sql: str, parameters: dict | None = None) -> None:
        assert self.finished.wait(10)

    def query(self, sql: str, parameters: dict | None = None) -> SimpleNamespace:
        if len(self.polls) > 1:
            return SimpleNamespace(data=[self.polls.pop(0)])
        self.finished.set()
        return SimpleNamespace(data=self.polls)  # the last row, until the statement's thread ends


def test_a_total_not_yet_estimated_is_said_not_divided_by() -> None:
    lines: list[str] = []
    run_with_progress(_SlowStatement(), "INSERT INTO t SELECT 1", lines.append, "copy", every=0.01)  # type: ignore[arg-type]
    assert len(lines) >= 3  # more when the statement's thread wakes late
    assert lines[0].startswith("    copy: 0 rows read (") and lines[0].endswith("s, total not known yet)")
    assert lines[1].startswith("    copy: 5,000/20,000 rows read (") and ", eta " in lines[1]
    assert lines[2].startswith("    copy: 20,000/20,000 rows read (") and lines[2].endswith(", eta 0s)")
