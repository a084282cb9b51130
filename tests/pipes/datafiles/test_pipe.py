"""parse_pipe: nodes, templates with their file lines, node types, and each way a .pipe file is
refused with the file, the line and the instruction named."""
from __future__ import annotations

from pathlib import Path

import pytest

from pipes.datafiles import DatafileError, NodeType, parse_pipe
from pipes.datafiles.parse import read_pipe
from tests.pipes.datafiles.helpers import error_of, text

PATH = Path("endpoints/top_pages.pipe")


def parse(source: str):
    return parse_pipe(text(source), PATH)


def error(source: str) -> DatafileError:
    return error_of(parse_pipe, source, PATH)


def assert_error(raised: DatafileError, line: int, *words: str) -> None:
    assert raised.origin.path == PATH
    assert raised.origin.line == line, str(raised)
    assert str(raised).startswith(f"{PATH}:{line}: ")
    for word in words:
        assert word in str(raised), str(raised)


TEMPLATE_ENDPOINT = """
    TOKEN "dashboard" READ
    DESCRIPTION >
        Top pages.

    NODE filtered
    DESCRIPTION >
        The tenant's rows
    SQL >
        %
        SELECT pathname, count() AS hits
        FROM hits
        WHERE tenant_id = {{ String(tenant_id, required=True) }}

        {% if defined(date_from) %}
            AND date >= {{ Date(date_from) }}
        {% end %}
        GROUP BY pathname

    NODE endpoint
    SQL >
        SELECT * FROM filtered ORDER BY hits DESC

    TYPE endpoint
"""


def test_it_reads_nodes_descriptions_and_tokens() -> None:
    pipe = parse(TEMPLATE_ENDPOINT)
    assert pipe.name == "top_pages"
    assert pipe.description == "Top pages."
    assert [(t.name, t.permission, t.origin.line) for t in pipe.tokens] == [("dashboard", "READ", 1)]
    assert [(n.name, n.origin.line, n.description) for n in pipe.nodes] == [
        ("filtered", 5, "The tenant's rows"),
        ("endpoint", 19, ""),
    ]
    assert pipe.type == NodeType.ENDPOINT
    assert pipe.typed_node is pipe.nodes[1]
    assert pipe.nodes[1].type_origin is not None and pipe.nodes[1].type_origin.line == 23


def test_a_leading_percent_marks_a_template_and_lines_still_map_to_the_file() -> None:
    source = text(TEMPLATE_ENDPOINT)
    node = parse_pipe(source, PATH).nodes[0]
    assert node.is_template
    assert not node.sql.lstrip().startswith("%")
    assert node.sql_origin.line == 10
    file_lines = source.split("\n")
    for offset, sql_line in enumerate(node.sql.split("\n")):
        assert file_lines[node.sql_origin.at(offset).line - 1].strip() == sql_line.strip()
    assert node.sql.split("\n")[5] == "    AND date >= {{ Date(date_from) }}"  # relative indentation kept
    assert not parse(TEMPLATE_ENDPOINT).nodes[1].is_template


def test_it_reads_sql_indented_with_two_spaces_or_tabs_and_a_percent_with_sql_on_its_line() -> None:
    pipe = parse_pipe("NODE a\nSQL >\n\t%\n\tSELECT 1\n\nNODE b\nSQL >\n  % SELECT 2\n  FROM a\n", PATH)
    assert [(n.sql, n.sql_origin.line, n.is_template) for n in pipe.nodes] == [
        ("SELECT 1", 4, True),
        ("  SELECT 2\nFROM a", 8, True),
    ]


def test_sql_indented_deeper_than_its_percent_line_is_dedented_keeping_lines() -> None:
    node = parse_pipe("NODE a\nSQL >\n\n    %\n        SELECT 1\n          FROM t\n", PATH).nodes[0]
    assert (node.sql, node.sql_origin.line, node.is_template) == ("SELECT 1\n  FROM t", 5, True)


def test_it_reads_node_references_skipping_strings_comments_and_template_tags() -> None:
    node = parse("""
        NODE n
        SQL >
            %
            SELECT * FROM events -- FROM commented
            LEFT JOIN pages USING (path)
            WHERE x = 'FROM quoted' {% if defined(a) %} AND y IN (SELECT y FROM other_pipe) {% end %}
    """).nodes[0]
    assert node.references == ("events", "pages", "other_pipe")


@pytest.mark.parametrize("written", ["endpoint", "ENDPOINT", "Endpoint"])
def test_it_reads_type_case_insensitively(written: str) -> None:
    assert parse_pipe(f"NODE a\nSQL >\n    SELECT 1\nTYPE {written}\n", PATH).type == "endpoint"


def test_it_reads_a_materialized_node() -> None:
    node = parse("""
        NODE rollup
        SQL >
            SELECT toDate(ts) AS date, countState() AS hits FROM events GROUP BY date
        TYPE MATERIALIZED
        DATASOURCE "daily_hits"
    """).nodes[0]
    assert (node.type, node.datasource, node.target, node.target_origin.line if node.target_origin else 0) == (
        "materialized",
        "daily_hits",
        "daily_hits",
        5,
    )


@pytest.mark.parametrize(
    ("lines", "schedule", "mode"),
    [
        ("", None, None),
        ("COPY_SCHEDULE @on-demand\n", "@on-demand", None),
        ('COPY_SCHEDULE "0 */1 * * *"\nCOPY_MODE replace\n', "0 */1 * * *", "replace"),
        ("COPY_SCHEDULE 10 0 * * MON-FRI\nCOPY_MODE APPEND\n", "10 0 * * MON-FRI", "append"),
    ],
)
def test_it_reads_a_copy_node(lines: str, schedule: str | None, mode: str | None) -> None:
    node = parse_pipe(f"NODE snap\nSQL >\n    SELECT 1\nTYPE copy\nTARGET_DATASOURCE snapshots\n{lines}", PATH).nodes[0]
    assert (node.type, node.target_datasource, node.copy_schedule, node.copy_mode) == ("copy", "snapshots", schedule, mode)


def test_a_pipe_without_type_is_a_plain_pipe() -> None:
    pipe = parse("NODE a\nSQL >\n    SELECT 1\n")
    assert pipe.type is None and pipe.typed_node is None


def test_tokens_and_tags_may_come_after_the_nodes() -> None:
    pipe = parse('NODE a\nSQL >\n    SELECT 1\nTYPE endpoint\n\nTOKEN "late" READ\nTAGS "a, b"\n')
    assert [t.name for t in pipe.tokens] == ["late"] and pipe.tags == ("a", "b")


# --- errors --------------------------------------------------------------------------------------


def test_it_refuses_sql_that_is_not_indented() -> None:
    assert_error(error("NODE a\nSQL >\nSELECT 1\n"), 2, "SQL", "indented")
    pipe, errors = read_pipe("NODE a\nSQL >\n%\n    SELECT 1\n", PATH)
    assert pipe is None and errors[0].origin.line == 2
    assert any(e.origin.line == 3 and "indented" in e.reason for e in errors)
    assert_error(error("NODE a\nSQL >\n    SELECT 1\nFROM t\n"), 4, "FROM", "indented")


@pytest.mark.parametrize(
    ("source", "line", "words"),
    [
        ("NODE a\nDESCRIPTION x\n", 1, ("'a'", "no SQL")),
        ("SQL >\n    SELECT 1\nNODE a\n", 1, ("SQL", "after a NODE")),
        ("TYPE endpoint\n", 1, ("TYPE", "after a NODE")),
        ("DESCRIPTION x\n", 1, ("at least one NODE",)),
        ("", 1, ("at least one NODE",)),
        ("NODE a\nSQL >\n    %\n", 2, ("empty",)),
        ("NODE a\nSQL > SELECT 1\n", 2, ("next lines",)),
        ("NODE my-node\nSQL >\n    SELECT 1\n", 1, ("not a valid node name",)),
        ("NODE a\nSQL >\n    SELECT 1\nNODE a\nSQL >\n    SELECT 2\n", 4, ("'a'", "twice", "line 1")),
        ("NODE a\nSQL >\n    SELECT 1\nSQL >\n    SELECT 2\n", 4, ("SQL", "twice")),
        ("NODE a\nSQL >\n    SELECT 1\nTYPE endpoint\nNODE b\nSQL >\n    SELECT 2\nTYPE endpoint\n", 8, ("at most one typed node", "'a'")),
        ("NODE a\nSQL >\n    SELECT 1\nTYPE endpoint\nTYPE copy\n", 5, ("TYPE", "twice")),
        ("NODE a\nSQL >\n    SELECT 1\nTYPE materialized\n", 4, ("MATERIALIZED", "DATASOURCE")),
        ("NODE a\nSQL >\n    SELECT 1\nTYPE copy\n", 4, ("COPY", "TARGET_DATASOURCE")),
        ("NODE a\nSQL >\n    SELECT 1\nDATASOURCE t\n", 4, ("DATASOURCE", "MATERIALIZED", "untyped")),
        ("NODE a\nSQL >\n    SELECT 1\nTYPE endpoint\nTARGET_DATASOURCE t\n", 5, ("TARGET_DATASOURCE", "COPY")),
        ("NODE a\nSQL >\n    SELECT 1\nTYPE materialized\nDATASOURCE t\nCOPY_SCHEDULE @on-demand\n", 6, ("COPY_SCHEDULE",)),
        ("NODE a\nSQL >\n    SELECT 1\nTYPE copy\nTARGET_DATASOURCE t\nCOPY_SCHEDULE every hour\n", 6, ("cron",)),
        ("NODE a\nSQL >\n    SELECT 1\nTYPE copy\nTARGET_DATASOURCE t\nCOPY_MODE upsert\n", 6, ("COPY_MODE", "upsert")),
        ("NODE a\nSQL >\n    SELECT 1\nTYPE api\n", 4, ("unknown TYPE", "api")),
        ("NODE a\nSQL >\n    SELECT 1\nTYPE materialized\nDATASOURCE my-target\n", 5, ("not a valid datasource name",)),
        ('TOKEN "t" APPEND\nNODE a\nSQL >\n    SELECT 1\n', 1, ("APPEND", "READ")),
        ("NODE a\nSQL >\n    SELECT 1\nSCHEMA >\n    a String\n", 4, ("unknown instruction", "SCHEMA")),
    ],
)
def test_it_refuses_a_malformed_pipe(source: str, line: int, words: tuple[str, ...]) -> None:
    assert_error(error_of(parse_pipe, source, PATH), line, *words)


REFUSED = [
    ("TYPE sink", "sink"),
    ("TYPE SINK", "sink"),
    ("TYPE stream", "stream"),
    ("EXPORT_SERVICE s3", "sinks"),
    ("EXPORT_CONNECTION_NAME my_s3", "sinks"),
    ("EXPORT_BUCKET_URI s3://b/p", "sinks"),
    ("EXPORT_SCHEDULE 0 * * * *", "sinks"),
    ("EXPORT_KAFKA_TOPIC t", "sinks"),
    ("INCLUDE ../includes/only_buy_events.incl", "INCLUDE"),
    ("VERSION 1", "versioned"),
    ("DEPLOYMENT_METHOD alter", "DEPLOYMENT_METHOD"),
    ("KAFKA_TOPIC t", "Kafka"),
    ("IMPORT_SERVICE bigquery", "BigQuery"),
    ("ENGINE AggregatingMergeTree", ".datasource"),
    ("ENGINE_SORTING_KEY date", ".datasource"),
]


@pytest.mark.parametrize(("line", "words"), REFUSED)
def test_it_refuses_unsupported_instructions_by_name(line: str, words: str) -> None:
    raised = error(f"NODE a\nSQL >\n    SELECT 1\n{line}\n")
    assert_error(raised, 4, line.split()[0], words, "not supported")


def test_a_refused_type_raises_nothing_more_about_its_node() -> None:
    pipe, errors = read_pipe("NODE a\nSQL >\n    SELECT 1\nTYPE sink\nEXPORT_SERVICE s3\nDATASOURCE t\n", PATH)
    assert pipe is None and [e.origin.line for e in errors] == [4, 5]


def test_it_refuses_include_before_any_node() -> None:
    assert_error(error('INCLUDE "shared.incl" "a=1"\nNODE a\nSQL >\n    SELECT 1\n'), 1, "INCLUDE", "not supported")


def test_it_reports_every_error_of_a_pipe_in_line_order() -> None:
    pipe, errors = read_pipe(
        text("""
            NODE a
            DESCRIPTION x
            NODE b
            SQL >
                SELECT 1
            TYPE sink
            NODE c
            SQL >
                SELECT 2
            TYPE materialized
        """),
        PATH,
    )
    assert pipe is None
    assert [e.origin.line for e in errors] == [1, 6, 10]
