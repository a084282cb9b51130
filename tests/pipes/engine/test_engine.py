"""ChdbEngine and ServerEngine: queries with ClickHouse's own statistics, bound parameters,
batched inserts, errors, URLs, and the one-folder-per-process rule."""
from __future__ import annotations

import datetime
import gc
import threading
from collections.abc import Callable
from pathlib import Path

import clickhouse_connect
import pytest

from pipes.engine import ChdbEngine, DataFolderInUse, EngineError, ServerEngine, engine_from_url
from pipes.engine.base import encode_rows, parameter_values
from pipes.engine.server import client_arguments
from tests.pipes.engine.conftest import run_python


def test_a_query_answers_with_clickhouse_meta_data_and_statistics(chdb_engine: ChdbEngine) -> None:
    result = chdb_engine.query(
        "SELECT number AS n, toString(number) AS s FROM numbers(10) WHERE n >= {from:UInt8}", {"from": 7}
    )
    assert result.meta == [{"name": "n", "type": "UInt64"}, {"name": "s", "type": "String"}]
    assert result.data == [{"n": 7, "s": "7"}, {"n": 8, "s": "8"}, {"n": 9, "s": "9"}]
    assert result.rows == 3
    assert result.statistics.rows_read > 0 and result.statistics.elapsed > 0
    assert set(result.as_json()) == {"meta", "data", "rows", "statistics"}


def test_rows_read_counts_the_rows_scanned(chdb_engine: ChdbEngine, table_name: Callable[[str], str]) -> None:
    table = table_name("scan")
    chdb_engine.command(
        f"CREATE TABLE {table} (tenant String, n UInt32) ENGINE = MergeTree ORDER BY (tenant, n) "
        "SETTINGS index_granularity = 128"
    )
    chdb_engine.command(f"INSERT INTO {table} SELECT if(number < 5000, 'a', 'b'), number FROM numbers(10000)")
    whole = chdb_engine.query(f"SELECT count() AS c FROM {table} WHERE n % 2 = 0")
    one = chdb_engine.query(f"SELECT count() AS c FROM {table} WHERE tenant = {{t:String}} AND n % 2 = 0", {"t": "b"})
    assert whole.data == [{"c": 5000}] and one.data == [{"c": 2500}]
    assert whole.statistics.rows_read == 10000
    assert one.statistics.rows_read < 6000  # the sorting key skipped most of tenant a


@pytest.mark.parametrize(
    ("type_", "value", "expected"),
    [
        ("String", "x' OR 1=1 --", "x' OR 1=1 --"),
        ("String", "back\\slash\ttab\nline", "back\\slash\ttab\nline"),
        ("String", "{other:String}", "{other:String}"),
        ("Array(String)", ["a", "b'c"], ["a", "b'c"]),
        ("Nullable(Int32)", None, None),
        ("Date", datetime.date(2024, 2, 29), "2024-02-29"),
        ("DateTime", datetime.datetime(2024, 1, 2, 3, 4, 5), "2024-01-02 03:04:05"),
        ("Float64", 1.5, 1.5),
        ("Int64", -(2**62), -(2**62)),
        ("Bool", True, True),
    ],
)
def test_values_are_bound_as_query_parameters(chdb_engine: ChdbEngine, type_: str, value: object, expected: object) -> None:
    result = chdb_engine.query(f"SELECT {{v:{type_}}} AS v", {"v": value})
    assert result.data == [{"v": expected}]


def test_a_clickhouse_error_is_an_engine_error_with_its_code(chdb_engine: ChdbEngine) -> None:
    with pytest.raises(EngineError) as error:
        chdb_engine.query("SELECT no_such_column")
    assert error.value.code == 47
    with pytest.raises(EngineError) as error:
        chdb_engine.query("SELECT {missing:String}")
    assert error.value.code == 456


def test_settings_apply_to_one_query(chdb_engine: ChdbEngine) -> None:
    with pytest.raises(EngineError) as error:
        chdb_engine.query("SELECT count() FROM numbers(1000000)", settings={"max_rows_to_read": 10})
    assert error.value.code == 158  # TOO_MANY_ROWS
    assert chdb_engine.query("SELECT count() AS c FROM numbers(1000)").data == [{"c": 1000}]


def test_query_raw_gives_other_formats(chdb_engine: ChdbEngine) -> None:
    body = chdb_engine.query_raw("SELECT number AS n FROM numbers(2)", fmt="CSVWithNames")
    assert body == b'"n"\n0\n1\n'


def test_insert_sends_one_insert_per_batch(chdb_engine: ChdbEngine, table_name: Callable[[str], str]) -> None:
    table = table_name("batches")
    chdb_engine.command(f"CREATE TABLE {table} (n UInt32, s String, d DateTime, tags Array(String)) ENGINE = MergeTree ORDER BY n")
    chdb_engine.command(f"SYSTEM STOP MERGES {table}")
    rows = [[i, f"s{i}", datetime.datetime(2024, 1, 1, 0, 0, i % 60), ["x", str(i)]] for i in range(250)]
    assert chdb_engine.insert(table, ["n", "s", "d", "tags"], rows, batch_rows=100) == 250
    parts = chdb_engine.query(
        "SELECT count() AS parts, sum(rows) AS rows FROM system.parts WHERE database = {db:String} AND table = {t:String} AND active",
        {"db": chdb_engine.database, "t": table},
    )
    assert parts.data == [{"parts": 3, "rows": 250}]  # 100 + 100 + 50
    assert chdb_engine.query(f"SELECT s, d, tags FROM {table} WHERE n = 61").data == [
        {"s": "s61", "d": "2024-01-01 00:00:01", "tags": ["x", "61"]}
    ]


def test_insert_parses_iso_times_and_runs_materialized_views(chdb_engine: ChdbEngine, table_name: Callable[[str], str]) -> None:
    source, target, view = table_name("src"), table_name("dst"), table_name("mv")
    chdb_engine.command(f"CREATE TABLE {source} (ts DateTime, v UInt8) ENGINE = MergeTree ORDER BY ts")
    chdb_engine.command(f"CREATE TABLE {target} (v UInt64) ENGINE = SummingMergeTree ORDER BY tuple()")
    chdb_engine.command(f"CREATE MATERIALIZED VIEW {view} TO {target} AS SELECT toUInt64(sum(v)) AS v FROM {source}")
    chdb_engine.insert(source, ["ts", "v"], [["2024-01-02T03:04:05Z", 2], ["2024-01-02 03:04:06", 3]])
    assert chdb_engine.query(f"SELECT toString(min(ts)) AS t FROM {source}").data == [{"t": "2024-01-02 03:04:05"}]
    assert chdb_engine.query(f"SELECT sum(v) AS v FROM {target}").data == [{"v": 5}]


def test_a_bad_batch_raises_and_writes_nothing(chdb_engine: ChdbEngine, table_name: Callable[[str], str]) -> None:
    table = table_name("bad")
    chdb_engine.command(f"CREATE TABLE {table} (n UInt8) ENGINE = MergeTree ORDER BY n")
    with pytest.raises(EngineError):
        chdb_engine.insert(table, ["n"], [[1], [2], ["not a number"]])
    assert chdb_engine.query(f"SELECT count() AS c FROM {table}").data == [{"c": 0}]


def test_rows_are_encoded_as_compact_json() -> None:
    assert encode_rows([[1, "é", datetime.date(2024, 1, 2), None, ("a",)]]) == '[1,"é","2024-01-02",null,["a"]]\n'.encode()
    assert parameter_values({"s": "a'b", "n": None, "a": ["x"]}) == {"s": "a\\'b", "n": "\\N", "a": "['x']"}


def test_output_columns_describes_a_select(chdb_engine: ChdbEngine) -> None:
    assert chdb_engine.output_columns("SELECT 1 AS a, 'x' AS b;") == ["a", "b"]


def test_each_thread_gets_its_own_connection(chdb_engine: ChdbEngine) -> None:
    # USE is per connection: a thread that switches database does not move the others.
    seen: dict[str, str] = {}

    def switch() -> None:
        chdb_engine.command("USE system")
        seen["other"] = chdb_engine.query("SELECT currentDatabase() AS d").data[0]["d"]

    thread = threading.Thread(target=switch)
    thread.start()
    thread.join()
    assert seen["other"] == "system"
    assert chdb_engine.query("SELECT currentDatabase() AS d").data == [{"d": chdb_engine.database}]


def test_a_second_folder_in_one_process_is_refused_in_words(chdb_engine: ChdbEngine, tmp_path: Path) -> None:
    with pytest.raises(DataFolderInUse, match="a process opens one folder at a time"):
        ChdbEngine(tmp_path / "other")


def test_a_folder_owned_by_another_process_is_refused_in_words(chdb_engine: ChdbEngine) -> None:
    done = run_python(
        f"""
        from pipes.engine import ChdbEngine, DataFolderInUse
        try:
            ChdbEngine({str(chdb_engine.path)!r})
        except DataFolderInUse as error:
            print("REFUSED", error)
        """
    )
    assert done.stdout.startswith("REFUSED The chDB data folder"), done.stdout + done.stderr
    assert "One process owns a folder" in done.stdout


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "clickhouse://bob:s%40cret@ch.example:9000/analytics?max_execution_time=10",
            {"interface": "http", "host": "ch.example", "port": 9000, "username": "bob", "password": "s@cret",
             "database": "analytics", "settings": {"max_execution_time": "10"}},
        ),
        ("https://ch.example", {"interface": "https", "host": "ch.example", "port": 8443, "username": "default", "password": ""}),
        ("clickhouses://u@h/db", {"interface": "https", "host": "h", "port": 8443, "username": "u", "password": "", "database": "db"}),
    ],
)
def test_server_urls_become_client_arguments(url: str, expected: dict[str, object]) -> None:
    assert client_arguments(url) == expected


@pytest.mark.parametrize("url", ["ftp://h", "clickhouse:///nohost", "chdb://relative/path", "mysql://h"])
def test_bad_engine_urls_are_refused(url: str) -> None:
    with pytest.raises(ValueError):
        engine_from_url(url) if not url.startswith("clickhouse") else client_arguments(url)


def test_engine_from_url_opens_chdb_on_a_path(chdb_engine: ChdbEngine) -> None:
    # The session's folder: this process may open it again (chDB shares one server per folder).
    same = engine_from_url(f"chdb://{chdb_engine.path}", database=chdb_engine.database)
    try:
        assert isinstance(same, ChdbEngine)
        assert same.query("SELECT 1 AS x").data == [{"x": 1}]
    finally:
        same.close()
    assert chdb_engine.query("SELECT 2 AS x").data == [{"x": 2}]


def test_the_server_engine_through_clickhouse_connect(chdb_engine: ChdbEngine, table_name: Callable[[str], str]) -> None:
    """ServerEngine over clickhouse-connect's chDB backend: the same client calls as over HTTP."""
    table = table_name("server")
    server = ServerEngine(
        "clickhouse://unused",
        client_factory=lambda: clickhouse_connect.get_client(dsn=f"chdb://{chdb_engine.path}", database=chdb_engine.database),
    )
    try:
        assert server.database == chdb_engine.database
        server.command(f"CREATE TABLE {table} (tenant String, n UInt64) ENGINE = MergeTree ORDER BY (tenant, n)")
        assert server.insert(table, ["tenant", "n"], ([f"t{i % 3}", i] for i in range(30)), batch_rows=7) == 30
        result = server.query(
            f"SELECT tenant, count() AS c, sum(n) AS s FROM {table} WHERE tenant = {{t:String}} GROUP BY tenant", {"t": "t1"}
        )
        assert result.data == [{"tenant": "t1", "c": 10, "s": 145}]
        assert result.meta[1] == {"name": "c", "type": "UInt64"}
        assert result.statistics.rows_read == 30
        assert chdb_engine.query(f"SELECT count() AS c FROM {table}").data == [{"c": 30}]
        with pytest.raises(EngineError):
            server.query("SELECT nope")
    finally:
        server.close()


def test_a_thread_that_ends_closes_its_connection(chdb_engine: ChdbEngine) -> None:
    # runserver starts a thread per request: connections must not pile up.
    before = chdb_engine.connection_count
    answers: list[int] = []
    for i in range(20):
        thread = threading.Thread(target=lambda i=i: answers.append(chdb_engine.query("SELECT {i:UInt8} AS i", {"i": i}).data[0]["i"]))
        thread.start()
        thread.join()
    gc.collect()
    assert answers == list(range(20))
    assert chdb_engine.connection_count <= before
    assert chdb_engine.query("SELECT 1 AS x").data == [{"x": 1}]


def test_a_process_may_move_to_another_folder_once_the_first_is_closed(tmp_path: Path) -> None:
    done = run_python(
        f"""
        from pipes.engine import ChdbEngine
        first = ChdbEngine({str(tmp_path / "one")!r})
        first.close()
        second = ChdbEngine({str(tmp_path / "two")!r})
        print(second.query("SELECT 2 AS x").data)
        """
    )
    assert done.stdout.strip() == "[{'x': 2}]", done.stderr


def test_insert_raw_lets_clickhouse_parse_ndjson(chdb_engine: ChdbEngine, table_name: Callable[[str], str]) -> None:
    table = table_name("raw")
    chdb_engine.command(f"CREATE TABLE {table} (tenant String, n UInt32 DEFAULT 7, at DateTime) ENGINE = MergeTree ORDER BY tenant")
    ndjson = b'{"tenant": "a", "n": 1, "at": "2024-01-02T03:04:05Z"}\n{"tenant": "b", "at": 1704164645}\n'
    chdb_engine.insert_raw(table, ["tenant", "n", "at"], ndjson)
    assert chdb_engine.query(f"SELECT tenant, n, toString(at) AS at FROM {table} ORDER BY tenant").data == [
        {"tenant": "a", "n": 1, "at": "2024-01-02 03:04:05"},
        {"tenant": "b", "n": 7, "at": "2024-01-02 03:04:05"},
    ]
    with pytest.raises(ValueError):
        chdb_engine.insert_raw(table, ["tenant"], b"", fmt="JSONEachRow; DROP TABLE x")


def test_a_query_that_fails_after_some_rows_leaves_nothing_for_the_next_answer(chdb_engine) -> None:
    """chDB keeps a failed query's partial output on its connection; the engine throws it away,
    or the next answer on that thread (another request's) would start with those rows."""
    failing = "SELECT number FROM numbers(90000) WHERE throwIf(number = 50000, 'boom') = 0 SETTINGS max_block_size = 1000"
    with pytest.raises(EngineError):
        chdb_engine.query_raw(failing, fmt="CSV")
    assert chdb_engine.query_raw("SELECT 7 AS seven", fmt="CSV") == b"7\n"
