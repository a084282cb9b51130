"""Atomic deploy primitives: build new tables under staging names, then swap them in.

ClickHouse swaps one pair of tables atomically (``EXCHANGE TABLES``, Atomic databases only) and
renames several in one statement (``RENAME TABLE a TO b, c TO d``). ``swap_in`` makes a set of
swaps all-or-nothing: each pair is exchanged (or, when the live name is new, renamed), and when
one fails the pairs already swapped are swapped back before the error is raised. Readers see
each table switch at once; a few statements separate the first pair's switch from the last.
"""
from __future__ import annotations

from collections.abc import Sequence

from pipes.engine.base import Engine, EngineError
from pipes.engine.ddl import TableName, exchange_tables, rename_tables


def _exists(engine: Engine, table: TableName) -> bool:
    database, name = table
    return engine.table_exists(name, database or engine.database)


def swap_in(engine: Engine, pairs: Sequence[tuple[TableName, TableName]]) -> list[TableName]:
    """For each (staged, live) pair, puts the staged table under the live name. Returns the
    staged names that now hold the previous live tables (drop them when the deploy is done);
    a live name that did not exist before is not in the list. Any error undoes every swap."""
    done: list[tuple[TableName, TableName, bool]] = []  # (staged, live, exchanged)
    try:
        for staged, live in pairs:
            if _exists(engine, live):
                engine.command(exchange_tables(staged, live))
                done.append((staged, live, True))
            else:
                engine.command(rename_tables([(staged, live)]))
                done.append((staged, live, False))
    except EngineError:
        for staged, live, exchanged in reversed(done):
            if exchanged:
                engine.command(exchange_tables(staged, live))
            else:
                engine.command(rename_tables([(live, staged)]))
        raise
    return [staged for staged, _live, exchanged in done if exchanged]
