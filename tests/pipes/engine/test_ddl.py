"""The DDL builders as strings: no ClickHouse needed (test_ddl_on_chdb runs them)."""
from __future__ import annotations

from pathlib import Path

import pytest

from pipes.datafiles.model import Column, DatafileError, Datasource, Engine, Origin
from pipes.engine import ddl

ORIGIN = Origin(Path("datasources/orders.datasource"), 1)


def column(name: str, type_: str, **extra: str) -> Column:
    return Column(name=name, type=type_, origin=Origin(ORIGIN.path, 3), **extra)


def datasource(engine: Engine | None = None, columns: tuple[Column, ...] | None = None, name: str = "orders") -> Datasource:
    return Datasource(
        name=name,
        origin=ORIGIN,
        columns=columns or (column("tenant_id", "LowCardinality(String)"), column("amount", "Float64")),
        engine=engine or Engine(),
    )


def test_it_builds_a_merge_tree_with_every_key() -> None:
    sql = ddl.create_table(
        datasource(
            Engine(
                sorting_key="tenant_id, date",
                partition_key="toYYYYMM(date)",
                primary_key="tenant_id",
                ttl="date + INTERVAL 90 DAY",
                settings="index_granularity = 8192",
            )
        )
    )
    assert sql == (
        "CREATE TABLE `orders`\n(\n"
        "    `tenant_id` LowCardinality(String),\n"
        "    `amount` Float64\n"
        ")\n"
        "ENGINE = MergeTree\n"
        "PARTITION BY toYYYYMM(date)\n"
        "PRIMARY KEY tenant_id\n"
        "ORDER BY (tenant_id, date)\n"
        "TTL date + INTERVAL 90 DAY\n"
        "SETTINGS index_granularity = 8192"
    )


def test_it_orders_by_tuple_without_a_sorting_key() -> None:
    assert ddl.engine_clause(datasource()) == "ENGINE = MergeTree\nORDER BY tuple()"


def test_it_wraps_only_keys_with_a_top_level_comma() -> None:
    assert ddl.key_expression("a, b") == "(a, b)"
    assert ddl.key_expression("(a, b)") == "(a, b)"
    assert ddl.key_expression("toDate(ts, 'UTC')") == "toDate(ts, 'UTC')"
    assert ddl.key_expression("a, concat(b, ',')") == "(a, concat(b, ','))"


def test_it_names_the_database_and_a_staging_name() -> None:
    sql = ddl.create_table(datasource(), name="orders__staging", database="stage", if_not_exists=True)
    assert sql.startswith("CREATE TABLE IF NOT EXISTS `stage`.`orders__staging`\n")


def test_it_writes_default_and_codec() -> None:
    assert ddl.column_definition(column("n", "UInt32", default="0", codec="ZSTD(1)")) == "`n` UInt32 DEFAULT 0 CODEC(ZSTD(1))"
    assert ddl.column_definition(column("d", "Date", codec="CODEC(Delta, ZSTD)")) == "`d` Date CODEC(Delta, ZSTD)"


def test_it_quotes_identifiers() -> None:
    assert ddl.quote_identifier("a`b\\c") == "`a\\`b\\\\c`"
    assert ddl.qualified("t", "db") == "`db`.`t`"
    with pytest.raises(ValueError):
        ddl.quote_identifier("")


@pytest.mark.parametrize(
    ("engine", "clause"),
    [
        (Engine(name="ReplacingMergeTree"), "ENGINE = ReplacingMergeTree"),
        (Engine(name="ReplacingMergeTree", ver="updated_at"), "ENGINE = ReplacingMergeTree(updated_at)"),
        (
            Engine(name="ReplacingMergeTree", ver="updated_at", is_deleted="deleted"),
            "ENGINE = ReplacingMergeTree(updated_at, deleted)",
        ),
        (Engine(name="SummingMergeTree"), "ENGINE = SummingMergeTree"),
        (Engine(name="SummingMergeTree", summing_columns="amount, n"), "ENGINE = SummingMergeTree((amount, n))"),
        (Engine(name="AggregatingMergeTree"), "ENGINE = AggregatingMergeTree"),
        (Engine(name="CollapsingMergeTree", sign="sign"), "ENGINE = CollapsingMergeTree(sign)"),
        (
            Engine(name="VersionedCollapsingMergeTree", sign="sign", version="v"),
            "ENGINE = VersionedCollapsingMergeTree(sign, v)",
        ),
    ],
)
def test_it_gives_each_engine_its_parameters(engine: Engine, clause: str) -> None:
    assert ddl.engine_clause(datasource(engine)).split("\n")[0] == clause


def test_it_builds_a_null_table_without_keys() -> None:
    assert ddl.engine_clause(datasource(Engine(name="Null"))) == "ENGINE = Null"


@pytest.mark.parametrize(
    ("engine", "message"),
    [
        (Engine(name="Log"), "ENGINE Log is not supported"),
        (Engine(name="ReplicatedMergeTree"), "ENGINE ReplicatedMergeTree is not supported"),
        (Engine(name="Null", sorting_key="a"), "ENGINE Null takes no ENGINE_SORTING_KEY"),
        (Engine(name="ReplacingMergeTree", is_deleted="d"), "ENGINE_IS_DELETED needs ENGINE_VER"),
        (Engine(name="CollapsingMergeTree"), "ENGINE CollapsingMergeTree needs ENGINE_SIGN"),
        (Engine(name="VersionedCollapsingMergeTree", sign="s"), "needs ENGINE_VERSION"),
        (Engine(ver="v"), "ENGINE_VER does not apply to ENGINE MergeTree"),
        (Engine(name="AggregatingMergeTree", summing_columns="a"), "ENGINE_SUMMING_COLUMNS does not apply"),
    ],
)
def test_it_refuses_what_it_cannot_build_naming_the_file(engine: Engine, message: str) -> None:
    with pytest.raises(DatafileError) as error:
        ddl.create_table(datasource(engine))
    assert message in str(error.value)
    assert str(error.value).startswith("datasources/orders.datasource:1: ")


def test_it_refuses_a_schema_without_columns() -> None:
    empty = Datasource(name="e", origin=ORIGIN, columns=())
    with pytest.raises(DatafileError, match="SCHEMA has no columns"):
        ddl.create_table(empty)


def test_the_quarantine_table_follows_tinybird() -> None:
    columns = ddl.quarantine_columns(datasource())
    assert columns == [
        ("c__error_column", "Array(String)"),
        ("c__error", "Array(String)"),
        ("c__import_id", "Nullable(String)"),
        ("tenant_id", "Nullable(String)"),
        ("amount", "Nullable(String)"),
        ("c__raw", "String"),
        ("insertion_date", "DateTime DEFAULT now()"),
    ]
    sql = ddl.create_quarantine_table(datasource())
    assert sql.startswith("CREATE TABLE `orders_quarantine`\n(\n    `c__error_column` Array(String),")
    assert sql.endswith("ENGINE = MergeTree\nORDER BY insertion_date")


def test_the_quarantine_refuses_a_column_it_needs() -> None:
    with pytest.raises(DatafileError, match="insertion_date is reserved"):
        ddl.quarantine_columns(datasource(columns=(column("insertion_date", "DateTime"),)))


def test_it_builds_a_materialized_view_into_a_target() -> None:
    sql = ddl.create_materialized_view("sales_mv", "sales_by_day", "SELECT 1 AS a;", database="stage", target_database="live")
    assert sql == "CREATE MATERIALIZED VIEW `stage`.`sales_mv` TO `live`.`sales_by_day`\nAS SELECT 1 AS a"


def test_a_backfill_matches_columns_by_name() -> None:
    sql = ddl.backfill("sales_by_day", "SELECT day, tenant_id FROM orders -- all of them", ["tenant_id", "day"])
    assert sql == (
        "INSERT INTO `sales_by_day` (`tenant_id`, `day`)\n"
        "SELECT `tenant_id`, `day` FROM (\nSELECT day, tenant_id FROM orders -- all of them\n\n)"
    )


def test_the_swap_statements() -> None:
    assert ddl.exchange_tables(("stage", "a"), (None, "a")) == "EXCHANGE TABLES `stage`.`a` AND `a`"
    assert ddl.rename_tables([((None, "a"), ("old", "a")), ((None, "b"), (None, "c"))]) == (
        "RENAME TABLE `a` TO `old`.`a`, `b` TO `c`"
    )
    assert ddl.create_database("stage") == "CREATE DATABASE IF NOT EXISTS `stage` ENGINE = Atomic"
    assert ddl.drop_database("stage") == "DROP DATABASE IF EXISTS `stage` SYNC"
    assert ddl.drop_table("t", database="d") == "DROP TABLE IF EXISTS `d`.`t` SYNC"
