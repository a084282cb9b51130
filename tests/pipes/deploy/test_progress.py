"""Long statements of a deploy or a copy print rows read of the total, with an ETA."""
from __future__ import annotations

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
    assert lines and all("/60,000,000 rows read" in line and "eta" in line for line in lines)
    assert engine.query("SELECT count() > 0 AS filled FROM numbers_copy").data == [{"filled": 1}]


def test_a_failing_statement_raises_in_the_caller(engine: ChdbEngine) -> None:
    with pytest.raises(EngineError):
        run_with_progress(engine, "INSERT INTO no_such_table SELECT 1", lambda line: None, "x")
