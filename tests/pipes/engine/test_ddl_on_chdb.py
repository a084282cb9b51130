"""The DDL builders run on chDB: every engine, a materialized view into AggregatingMergeTree
with a backfill, the quarantine table, and the swap that makes a deploy atomic."""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from pipes.datafiles.model import Column, Datasource, Engine, Origin
from pipes.engine import ChdbEngine, EngineError, ddl
from pipes.engine.atomic import swap_in

ORIGIN = Origin(Path("orders.datasource"), 1)


def col(name: str, type_: str, **extra: str) -> Column:
    return Column(name=name, type=type_, origin=ORIGIN, **extra)


ORDER_COLUMNS = (
    col("tenant_id", "LowCardinality(String)"),
    col("date", "Date"),
    col("amount", "Float64", default="0", codec="ZSTD(1)"),
    col("updated_at", "DateTime", default="now()"),
    col("deleted", "UInt8", default="0"),
    col("sign", "Int8", default="1"),
    col("version", "UInt32", default="1"),
)

ENGINES = [
    Engine(sorting_key="tenant_id, date", partition_key="toYYYYMM(date)", primary_key="tenant_id",
           ttl="date + INTERVAL 100 YEAR", settings="index_granularity = 1024"),
    Engine(name="ReplacingMergeTree", sorting_key="tenant_id, date", ver="updated_at", is_deleted="deleted"),
    Engine(name="SummingMergeTree", sorting_key="tenant_id, date", summing_columns="amount"),
    Engine(name="AggregatingMergeTree", sorting_key="tenant_id, date"),
    Engine(name="CollapsingMergeTree", sorting_key="tenant_id, date", sign="sign"),
    Engine(name="VersionedCollapsingMergeTree", sorting_key="tenant_id, date", sign="sign", version="version"),
    Engine(name="Null"),
]


@pytest.mark.parametrize("engine", ENGINES, ids=lambda engine: engine.name)
def test_every_engine_is_created_and_takes_rows(
    chdb_engine: ChdbEngine, table_name: Callable[[str], str], engine: Engine
) -> None:
    name = table_name(engine.name.lower())
    chdb_engine.command(ddl.create_table(Datasource(name=name, origin=ORIGIN, columns=ORDER_COLUMNS, engine=engine)))
    full = chdb_engine.query(
        "SELECT engine FROM system.tables WHERE database = currentDatabase() AND name = {n:String}", {"n": name}
    ).data[0]["engine"]
    assert full == engine.name
    # Distinct sorting keys: the collapsing engines merge equal keys within one INSERT already.
    chdb_engine.insert(name, ["tenant_id", "date", "amount"], [["acme", "2024-01-02", 1.5], ["acme", "2024-01-03", 2.5]])
    count = chdb_engine.query(f"SELECT count() AS c FROM {ddl.quote_identifier(name)}").data[0]["c"]
    assert count == (0 if engine.name == "Null" else 2)


def test_defaults_apply_to_missing_columns(chdb_engine: ChdbEngine, table_name: Callable[[str], str]) -> None:
    name = table_name("defaults")
    chdb_engine.command(ddl.create_table(Datasource(name=name, origin=ORIGIN, columns=ORDER_COLUMNS)))
    chdb_engine.insert(name, ["tenant_id", "date"], [["acme", "2024-01-02"]])
    row = chdb_engine.query(f"SELECT amount, sign, version FROM {name}").data[0]
    assert row == {"amount": 0, "sign": 1, "version": 1}


def test_a_materialized_view_aggregates_new_rows_and_a_backfill_the_old(
    chdb_engine: ChdbEngine, table_name: Callable[[str], str]
) -> None:
    source, target, view = table_name("orders"), table_name("sales_by_day"), table_name("sales_mv")
    chdb_engine.command(ddl.create_table(Datasource(name=source, origin=ORIGIN, columns=ORDER_COLUMNS[:3],
                                                    engine=Engine(sorting_key="tenant_id, date"))))
    chdb_engine.command(ddl.create_table(Datasource(
        name=target, origin=ORIGIN,
        columns=(col("tenant_id", "LowCardinality(String)"), col("date", "Date"),
                 col("total", "AggregateFunction(sum, Float64)"), col("orders", "AggregateFunction(count)")),
        engine=Engine(name="AggregatingMergeTree", sorting_key="tenant_id, date"),
    )))
    chdb_engine.insert(source, ["tenant_id", "date", "amount"], [["acme", "2024-01-01", 10.0], ["globex", "2024-01-01", 5.0]])
    select = f"""
        SELECT tenant_id, date, sumState(amount) AS total, countState() AS orders
        FROM {source} GROUP BY tenant_id, date
    """
    chdb_engine.command(ddl.create_materialized_view(view, target, select))
    chdb_engine.command(ddl.backfill(target, select, chdb_engine.output_columns(select)))
    chdb_engine.insert(source, ["tenant_id", "date", "amount"], [["acme", "2024-01-01", 20.0], ["acme", "2024-01-02", 1.0]])
    result = chdb_engine.query(
        f"SELECT date, sumMerge(total) AS total, countMerge(orders) AS orders FROM {target} "
        "WHERE tenant_id = {t:String} GROUP BY date ORDER BY date",
        {"t": "acme"},
    )
    assert result.data == [{"date": "2024-01-01", "total": 30, "orders": 2}, {"date": "2024-01-02", "total": 1, "orders": 1}]


def test_the_quarantine_table_takes_a_bad_line(chdb_engine: ChdbEngine, table_name: Callable[[str], str]) -> None:
    datasource = Datasource(name=table_name("events"), origin=ORIGIN, columns=ORDER_COLUMNS[:3])
    chdb_engine.command(ddl.create_quarantine_table(datasource))
    quarantine = ddl.quarantine_name(datasource.name)
    chdb_engine.insert(
        quarantine,
        ["c__error_column", "c__error", "tenant_id", "date", "amount", "c__raw"],
        [[["amount"], ["value 'x' on column 'amount' is not Float64"], "acme", "2024-01-01", "x", '{"amount": "x"}']],
    )
    row = chdb_engine.query(f"SELECT *, insertion_date > now() - 60 AS recent FROM {quarantine}").data[0]
    assert row["c__error_column"] == ["amount"] and row["amount"] == "x" and row["c__import_id"] is None
    assert row["c__raw"] == '{"amount": "x"}' and row["recent"] == 1


def _fill(engine: ChdbEngine, database: str, name: str, value: int) -> None:
    engine.command(f"CREATE TABLE {ddl.qualified(name, database)} (v UInt8) ENGINE = MergeTree ORDER BY v")
    engine.command(f"INSERT INTO {ddl.qualified(name, database)} VALUES ({value})")


def _value(engine: ChdbEngine, name: str) -> int:
    return engine.query(f"SELECT v FROM {ddl.qualified(name)}").data[0]["v"]


def test_swap_in_exchanges_and_renames_staged_tables(chdb_engine: ChdbEngine, table_name: Callable[[str], str]) -> None:
    stage, live_a, new_b = table_name("stage"), table_name("a"), table_name("b")
    chdb_engine.command(ddl.create_database(stage))
    try:
        _fill(chdb_engine, chdb_engine.database, live_a, 1)
        _fill(chdb_engine, stage, live_a, 2)
        _fill(chdb_engine, stage, new_b, 3)
        old = swap_in(chdb_engine, [((stage, live_a), (None, live_a)), ((stage, new_b), (None, new_b))])
        assert (_value(chdb_engine, live_a), _value(chdb_engine, new_b)) == (2, 3)
        assert old == [(stage, live_a)]
        assert chdb_engine.query(f"SELECT v FROM {ddl.qualified(live_a, stage)}").data == [{"v": 1}]
    finally:
        chdb_engine.command(ddl.drop_database(stage))


def test_swap_in_undoes_every_swap_when_one_fails(chdb_engine: ChdbEngine, table_name: Callable[[str], str]) -> None:
    stage, live_a, new_b, live_c = table_name("stage"), table_name("a"), table_name("b"), table_name("c")
    chdb_engine.command(ddl.create_database(stage))
    try:
        _fill(chdb_engine, chdb_engine.database, live_a, 1)
        _fill(chdb_engine, chdb_engine.database, live_c, 1)
        _fill(chdb_engine, stage, live_a, 2)
        _fill(chdb_engine, stage, new_b, 3)
        with pytest.raises(EngineError):
            swap_in(chdb_engine, [
                ((stage, live_a), (None, live_a)),
                ((stage, new_b), (None, new_b)),
                ((stage, "never_staged"), (None, live_c)),
            ])
        assert _value(chdb_engine, live_a) == 1 and _value(chdb_engine, live_c) == 1
        assert not chdb_engine.table_exists(new_b)
        assert chdb_engine.table_exists(new_b, stage) and chdb_engine.table_exists(live_a, stage)
    finally:
        chdb_engine.command(ddl.drop_database(stage))


def test_materialized_views_swap_too(chdb_engine: ChdbEngine, table_name: Callable[[str], str]) -> None:
    stage, source, target, view = table_name("stage"), table_name("src"), table_name("dst"), table_name("mv")
    chdb_engine.command(ddl.create_database(stage))
    try:
        _fill(chdb_engine, chdb_engine.database, source, 1)
        _fill(chdb_engine, chdb_engine.database, target, 0)
        chdb_engine.command(ddl.create_materialized_view(view, target, f"SELECT v FROM {source}"))
        chdb_engine.command(ddl.create_materialized_view(view, target, f"SELECT v * 10 AS v FROM {source}",
                                                         database=stage, target_database=chdb_engine.database))
        old = swap_in(chdb_engine, [((stage, view), (None, view))])
        (old_database, old_view), = old
        chdb_engine.command(ddl.drop_table(old_view, database=old_database))  # the old view stops firing
        chdb_engine.insert(source, ["v"], [[2]])
        assert chdb_engine.query(f"SELECT v FROM {target} ORDER BY v").data == [{"v": 0}, {"v": 20}]
    finally:
        chdb_engine.command(ddl.drop_database(stage))
