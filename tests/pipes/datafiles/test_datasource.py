"""parse_datasource: every syntax feature of a .datasource file, and each way it is refused
with the file, the line and the instruction named."""
from __future__ import annotations

from pathlib import Path

import pytest

from pipes.datafiles import DatafileError, parse_datasource
from pipes.datafiles.parse import read_datasource
from tests.pipes.datafiles.helpers import error_of, text

PATH = Path("datasources/events.datasource")


def parse(source: str):
    return parse_datasource(text(source), PATH)


def error(source: str) -> DatafileError:
    return error_of(parse_datasource, source, PATH)


def test_it_names_the_datasource_after_its_file() -> None:
    datasource = parse("""
        SCHEMA >
            `a` String
    """)
    assert datasource.name == "events"
    assert str(datasource.origin) == "datasources/events.datasource:1"
    assert datasource.engine.name == "MergeTree"


def test_it_reads_a_description_inline_or_as_a_block() -> None:
    assert parse('DESCRIPTION "Raw hits"\nSCHEMA >\n    a String\n').description == "Raw hits"
    block = parse("""
        DESCRIPTION >
            Raw hits,
              one per line.

            Markdown **kept**.
        SCHEMA >
            a String
    """)
    assert block.description == "Raw hits,\n  one per line.\n\nMarkdown **kept**."


@pytest.mark.parametrize(
    ("line", "name", "permission"),
    [
        ('TOKEN "tracker" APPEND', "tracker", "APPEND"),
        ("TOKEN tracker append", "tracker", "APPEND"),
        ("TOKEN 'reader' READ", "reader", "READ"),
    ],
)
def test_it_reads_tokens(line: str, name: str, permission: str) -> None:
    datasource = parse(f"{line}\nSCHEMA >\n    a String\n")
    assert [(t.name, t.permission, t.origin.line) for t in datasource.tokens] == [(name, permission, 1)]


@pytest.mark.parametrize("line", ['TOKEN "tracker"', 'TOKEN "tracker" ADMIN', "TOKEN"])
def test_it_refuses_a_token_without_append_or_read(line: str) -> None:
    assert_error(error(f"SCHEMA >\n    a String\n{line}\n"), 3, "TOKEN")


def test_it_reads_backticked_and_bare_column_names_with_their_lines() -> None:
    datasource = parse("""
        SCHEMA >
            `timestamp` DateTime,
            tenant_id String,

            `weird name` UInt8
    """)
    assert [(c.name, c.type, c.origin.line) for c in datasource.columns] == [
        ("timestamp", "DateTime", 2),
        ("tenant_id", "String", 3),
        ("weird name", "UInt8", 5),
    ]


@pytest.mark.parametrize(
    "column_type",
    [
        "DateTime64(3, 'UTC')",
        "Array(Nullable(String))",
        "AggregateFunction(sum, Float64)",
        "AggregateFunction(uniq, Nullable(String))",
        "AggregateFunction(count)",
        "SimpleAggregateFunction(max, DateTime)",
        "Map(String, UInt64)",
        "LowCardinality(Nullable(String))",
        "Enum8('a' = 1, 'b' = 2)",
        "Enum8('a,)(' = 1, 'it''s' = 2)",
        "Tuple(a String, b Array(UInt8))",
        "Decimal(18, 4)",
        "FixedString(2)",
        "Nullable(DateTime('Europe/Berlin'))",
    ],
)
def test_it_reads_clickhouse_types_as_written(column_type: str) -> None:
    datasource = parse(f"SCHEMA >\n    `x` {column_type} `json:$.x`,\n    `y` String `json:$.y`\n")
    assert datasource.columns[0].type == column_type
    assert datasource.columns[0].jsonpath == "$.x"
    assert datasource.columns[1].name == "y"


def test_it_reads_a_type_spread_over_several_lines() -> None:
    datasource = parse("""
        SCHEMA >
            `status` Enum8(
                'open' = 1,
                'closed' = 2
            ),
            `b` String
    """)
    assert datasource.columns[0].type == "Enum8( 'open' = 1, 'closed' = 2 )"
    assert datasource.columns[1].origin.line == 6


@pytest.mark.parametrize("path", ["$.a", "$.a.b", "$.a[:]", "$.['x-y']", "$['x y'].z", "$.a.b[:]"])
def test_it_reads_jsonpaths(path: str) -> None:
    assert parse(f"SCHEMA >\n    `c` String `json:{path}`\n").columns[0].jsonpath == path


def test_it_reads_defaults_and_codecs_in_any_order() -> None:
    columns = parse("""
        SCHEMA >
            `a` String `json:$.a` DEFAULT 'x, y',
            `b` DateTime `json:$.b` DEFAULT now() CODEC(Delta, ZSTD(1)),
            `c` UInt32 DEFAULT 0 `json:$.c`,
            `d` String CODEC(ZSTD(3)) `json:$.d`,
            `e` Array(String) `json:$.e[:]` DEFAULT ['a', 'b'],
            `f` Float64 `json:$.f` DEFAULT toFloat64(coalesce(1, 2)) * 2,
    """).columns
    assert [(c.name, c.default, c.codec, c.jsonpath) for c in columns] == [
        ("a", "'x, y'", None, "$.a"),
        ("b", "now()", "CODEC(Delta, ZSTD(1))", "$.b"),
        ("c", "0", None, "$.c"),
        ("d", None, "CODEC(ZSTD(3))", "$.d"),
        ("e", "['a', 'b']", None, "$.e[:]"),
        ("f", "toFloat64(coalesce(1, 2)) * 2", None, "$.f"),
    ]


def test_it_skips_comment_lines_inside_and_outside_the_schema() -> None:
    datasource = parse("""
        # a landing datasource
        SCHEMA >
            # the time of the hit
            `a` DateTime,
            # `b` String,
            `c` String

        # the engine
        ENGINE MergeTree
    """)
    assert [c.name for c in datasource.columns] == ["a", "c"]
    assert datasource.columns[1].origin.line == 6


def test_it_skips_sql_comments_at_the_end_of_schema_lines() -> None:
    columns = parse("""
        SCHEMA >
            `properties` String,  -- JSON string
            `note` String DEFAULT '-- not a comment', -- a comment
            `ts` DateTime
    """).columns
    assert [(c.name, c.default) for c in columns] == [
        ("properties", None),
        ("note", "'-- not a comment'"),
        ("ts", None),
    ]


@pytest.mark.parametrize(
    ("engine", "settings", "expected"),
    [
        ('"MergeTree"', {"ENGINE_SORTING_KEY": '"a, b"'}, {"sorting_key": "a, b"}),
        ("mergetree", {"ENGINE_SORTING_KEY": "a"}, {"sorting_key": "a"}),
        ("ReplacingMergeTree", {"ENGINE_VER": '"v"', "ENGINE_IS_DELETED": "deleted"}, {"ver": "v", "is_deleted": "deleted"}),
        ("ReplacingMergeTree", {}, {}),
        ("AggregatingMergeTree", {"ENGINE_SORTING_KEY": "a"}, {}),
        ("SummingMergeTree", {"ENGINE_SUMMING_COLUMNS": '"n, v"'}, {"summing_columns": "n, v"}),
        ("CollapsingMergeTree", {"ENGINE_SIGN": "sign"}, {"sign": "sign"}),
        ("VersionedCollapsingMergeTree", {"ENGINE_SIGN": "sign", "ENGINE_VERSION": "v"}, {"sign": "sign", "version": "v"}),
        ("Null", {}, {}),
    ],
)
def test_it_reads_each_engine_and_its_settings(engine: str, settings: dict[str, str], expected: dict[str, str]) -> None:
    lines = "".join(f"{key} {value}\n" for key, value in settings.items())
    source = (
        "SCHEMA >\n    a String,\n    b String,\n    n UInt64,\n    v UInt64,\n"
        f"    deleted UInt8,\n    sign Int8\n\nENGINE {engine}\n{lines}"
    )
    parsed = parse_datasource(source, PATH).engine
    assert parsed.name.lower() == engine.strip('"').lower()
    for attribute, value in expected.items():
        assert getattr(parsed, attribute) == value


def test_it_reads_every_family_wide_engine_setting() -> None:
    engine = parse("""
        SCHEMA >
            `ts` DateTime,
            `tenant` String
        ENGINE "MergeTree"
        ENGINE_SORTING_KEY "tenant, ts"
        ENGINE_PARTITION_KEY "toYYYYMM(ts)"
        ENGINE_PRIMARY_KEY tenant
        ENGINE_TTL "ts + toIntervalDay(60)"
        ENGINE_SETTINGS "index_granularity=8192, min_bytes_for_wide_part=0"
    """).engine
    assert (engine.sorting_key, engine.partition_key, engine.primary_key, engine.ttl, engine.settings) == (
        "tenant, ts",
        "toYYYYMM(ts)",
        "tenant",
        "ts + toIntervalDay(60)",
        "index_granularity=8192, min_bytes_for_wide_part=0",
    )


def test_an_empty_quoted_engine_setting_means_not_set() -> None:
    engine = parse("""
        SCHEMA >
            `ingest_timestamp` DateTime `json:$.time` DEFAULT now(),
            `record` JSON `json:$`
        ENGINE "MergeTree"
        ENGINE_SORTING_KEY "ingest_timestamp"
        ENGINE_TTL ""
        ENGINE_PARTITION_KEY ""
    """).engine
    assert (engine.sorting_key, engine.ttl, engine.partition_key) == ("ingest_timestamp", None, None)


def test_it_reads_indexes_and_tags() -> None:
    datasource = parse("""
        TAGS "web, analytics"
        SCHEMA >
            `path` String,
            `ts` DateTime
        INDEXES >
            idx_path path TYPE bloom_filter(0.01) GRANULARITY 4
            INDEX idx_ts toDate(ts) TYPE minmax GRANULARITY 1,
    """)
    assert datasource.tags == ("web", "analytics")
    assert [(i.name, i.expr, i.type, i.granularity, i.origin.line) for i in datasource.indexes] == [
        ("idx_path", "path", "bloom_filter(0.01)", 4, 6),
        ("idx_ts", "toDate(ts)", "minmax", 1, 7),
    ]


# --- errors: each names the file and the line --------------------------------------------------


def assert_error(raised: DatafileError, line: int, *words: str) -> None:
    assert raised.origin.path == PATH
    assert raised.origin.line == line, str(raised)
    assert str(raised).startswith(f"{PATH}:{line}: ")
    for word in words:
        assert word in str(raised), str(raised)


def test_it_refuses_a_file_without_schema() -> None:
    assert_error(error('DESCRIPTION "x"\nENGINE MergeTree\n'), 1, "SCHEMA")


def test_it_refuses_a_schema_without_a_block() -> None:
    assert_error(error('DESCRIPTION "x"\nSCHEMA >\n'), 2, "SCHEMA", "indented")
    assert_error(error("SCHEMA a String\n"), 1, "SCHEMA")


def test_it_refuses_schema_lines_that_are_not_indented() -> None:
    raised = read_datasource("SCHEMA >\n`a` String,\nb String\n", PATH)[1]
    assert [(e.origin.line, "indented" in e.reason) for e in raised] == [(1, True), (2, True), (3, True)]


def test_it_refuses_an_indented_line_outside_a_block() -> None:
    assert_error(error("SCHEMA >\n    a String\n\nENGINE MergeTree\n  ENGINE_SORTING_KEY a\n"), 5, "indented")


@pytest.mark.parametrize("engine", ["Memory", "Log", "ReplicatedMergeTree", "Join", "MergeTree()", "Kafka"])
def test_it_refuses_an_unknown_engine(engine: str) -> None:
    assert_error(error(f"SCHEMA >\n    a String\nENGINE {engine}\n"), 3, "ENGINE", engine)


@pytest.mark.parametrize(
    ("schema", "line", "words"),
    [
        ("    `a` String,\n    `b` Array(Nullable(String),\n    `c` String\n", 3, ("never closed",)),
        ("    `a` String,\n    `b` Array(String)),\n    `c` String\n", 3, ("')'",)),
        ("    `a` String,\n    `b` Enum8('a = 1),\n", 3, ("unclosed",)),
        ("    `a` String `json:$.a,\n", 2, ("unclosed",)),
    ],
)
def test_it_refuses_unbalanced_parentheses_and_quotes(schema: str, line: int, words: tuple[str, ...]) -> None:
    assert_error(error(f"SCHEMA >\n{schema}"), line, *words)


@pytest.mark.parametrize(
    ("column", "words"),
    [
        ("`a`", ("no type",)),
        ("`` String", ("empty",)),
        ("`a` String `json:a.b`", ("jsonpath", "$")),
        ("`a` String `json:$.a..b`", ("jsonpath",)),
        ("`a` String `json:$.a[x]`", ("jsonpath",)),
        ("`a` String `pathname`", ("json:",)),
        ("`a` String `json:$.a` `json:$.b`", ("two jsonpaths",)),
        ("`a` String DEFAULT", ("DEFAULT needs",)),
        ("`a` String MATERIALIZED now()", ("MATERIALIZED",)),
        ("`a` String ALIAS b", ("ALIAS",)),
        ("`a` String NOT NULL", ("'NOT'",)),
        ("1a String", ("column name",)),
    ],
)
def test_it_refuses_a_bad_column(column: str, words: tuple[str, ...]) -> None:
    assert_error(error(f"SCHEMA >\n    `ok` String,\n    {column}\n"), 3, *words)


def test_it_refuses_two_commas_and_duplicate_columns() -> None:
    assert_error(error("SCHEMA >\n    a String,\n    ,\n    b String\n"), 3, "empty column")
    assert_error(error("SCHEMA >\n    a String,\n    b String,\n    a UInt8\n"), 4, "'a'", "twice", "line 2")


def test_it_refuses_an_instruction_given_twice() -> None:
    assert_error(error("SCHEMA >\n    a String\nENGINE MergeTree\nENGINE MergeTree\n"), 4, "ENGINE", "twice", "line 3")


@pytest.mark.parametrize(
    ("lines", "line", "words"),
    [
        ("ENGINE MergeTree\nENGINE_VER v\n", 10, ("ENGINE_VER", "ReplacingMergeTree")),
        ("ENGINE ReplacingMergeTree\nENGINE_SIGN sign\n", 10, ("ENGINE_SIGN", "Collapsing")),
        ("ENGINE ReplacingMergeTree\nENGINE_VER missing\n", 10, ("missing", "no column")),
        ("ENGINE ReplacingMergeTree\nENGINE_IS_DELETED deleted\n", 10, ("ENGINE_IS_DELETED needs ENGINE_VER",)),
        ("ENGINE CollapsingMergeTree\n", 9, ("ENGINE_SIGN",)),
        ("ENGINE VersionedCollapsingMergeTree\nENGINE_SIGN sign\n", 9, ("ENGINE_VERSION",)),
        ("ENGINE Null\nENGINE_SORTING_KEY a\n", 10, ("Null",)),
        ("ENGINE MergeTree\nENGINE_SUMMING_COLUMNS n\n", 10, ("SummingMergeTree",)),
        ("ENGINE MergeTree\nENGINE_ORDER_BY a\n", 10, ("unknown engine setting", "ENGINE_ORDER_BY")),
        ("ENGINE MergeTree\nENGINE_SETTINGS index_granularity\n", 10, ("name=value",)),
        ("ENGINE MergeTree\nENGINE_SORTING_KEY\n", 10, ("needs a value",)),
    ],
)
def test_it_refuses_engine_settings_that_do_not_fit(lines: str, line: int, words: tuple[str, ...]) -> None:
    source = "SCHEMA >\n    a String,\n    v UInt64,\n    deleted UInt8,\n    sign Int8,\n    n UInt64\n\n\n" + lines
    assert_error(error(source), line, *words)


REFUSED = [
    ("KAFKA_CONNECTION_NAME my_kafka", "Kafka"),
    ("KAFKA_TOPIC events", "Kafka"),
    ("KAFKA_GROUP_ID g", "Kafka"),
    ("IMPORT_SERVICE s3", "S3"),
    ("IMPORT_CONNECTION_NAME my_s3", "S3"),
    ("IMPORT_BUCKET_URI s3://bucket/*.csv", "S3"),
    ("IMPORT_SCHEDULE @auto", "S3"),
    ("FORWARD_QUERY >\n    SELECT a", "FORWARD_QUERY"),
    ("BACKFILL skip", "BACKFILL"),
    ("SHARED_WITH >\n    other_workspace", "sharing"),
    ("VERSION 2", "versioned"),
    ("INCLUDE ../includes/schema.incl", "INCLUDE"),
]


@pytest.mark.parametrize(("line", "words"), REFUSED)
def test_it_refuses_unsupported_instructions_by_name(line: str, words: str) -> None:
    raised = error(f"SCHEMA >\n    a String\n\n{line}\n")
    assert_error(raised, 4, line.split()[0], words, "not supported")


def test_it_refuses_an_unknown_instruction() -> None:
    assert_error(error("SCHEMA >\n    a String\nPARTITION_BY a\n"), 3, "unknown instruction", "PARTITION_BY")


def test_it_refuses_a_file_name_that_is_not_a_name() -> None:
    with pytest.raises(DatafileError) as raised:
        parse_datasource("SCHEMA >\n    a String\n", Path("ds/my-events.datasource"))
    assert str(raised.value).startswith("ds/my-events.datasource:1: 'my-events' is not a valid name")


def test_it_reports_every_error_of_a_file_in_line_order() -> None:
    datasource, errors = read_datasource(
        text("""
            SCHEMA >
                a String,
                b Array(String
            ENGINE Memory
            KAFKA_TOPIC t
            ENGINE_VER a
        """),
        PATH,
    )
    assert datasource is None
    assert [e.origin.line for e in errors] == [3, 4, 5, 6]


def test_it_reads_windows_line_endings_and_a_byte_order_mark() -> None:
    datasource = parse_datasource("\ufeffSCHEMA >\r\n    a String,\r\n    b UInt8\r\n", PATH)
    assert [(c.name, c.origin.line) for c in datasource.columns] == [("a", 2), ("b", 3)]
