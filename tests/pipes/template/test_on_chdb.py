"""Rendered SQL runs on ClickHouse (chDB) with its parameters: the placeholders, their types and
the text form of every value are what ClickHouse expects. Skipped when chdb is not installed."""
from __future__ import annotations

import json

import pytest
from hypothesis import given, settings

from pipes.engine import runtime
from pipes.template import render
from tests.support.examples import examples

from .test_binding_fuzz import TEXT

chdb = pytest.importorskip("chdb")


def run(template: str, values: dict | None = None, **kwargs: object) -> list[list[object]]:
    """On the host's own engine: a process may open one chDB folder only, and the rendered
    Python values go through the engine's own binding, as they will when serving."""
    rendered = render(template, values, **kwargs)  # type: ignore[arg-type]
    raw = runtime.engine().query_raw(rendered.sql, rendered.parameters, fmt="JSONCompact")
    return json.loads(raw)["data"]


@pytest.mark.parametrize(
    ("function", "raw", "ch_type", "text"),
    [
        ("String", "it's a \\ {p_1:String} \n\t\0 é 😀", "String", "it's a \\ {p_1:String} \n\t\0 é 😀"),
        ("Boolean", "true", "Bool", "true"),
        ("Date", "2149-06-06", "Date", "2149-06-06"),
        ("DateTime", "2024-01-02T03:04:05", "DateTime", "2024-01-02 03:04:05"),
        ("DateTime64", "2024-01-02 03:04:05.123456", "DateTime64(6)", "2024-01-02 03:04:05.123456"),
        ("Float32", "1.5", "Float32", "1.5"),
        ("Float64", "-1e300", "Float64", "-1e300"),
        ("Int8", "-128", "Int8", "-128"),
        ("UInt64", str(2**64 - 1), "UInt64", str(2**64 - 1)),
        ("Int128", str(-(2**127)), "Int128", str(-(2**127))),
        ("UInt256", str(2**256 - 1), "UInt256", str(2**256 - 1)),
    ],
)
def test_each_type_reaches_clickhouse_as_itself(function, raw, ch_type, text):
    assert run(f"SELECT toTypeName({{{{ {function}(v) }}}}), toString({{{{ {function}(v) }}}})", {"v": raw}) == [
        [ch_type, text]
    ]


@pytest.mark.parametrize(
    ("element", "raw", "expected"),
    [
        ("String", "a,b'c,d\\e", ["a", "b'c", "d\\e"]),
        ("Int32", "1, -2", ["1", "-2"]),
        ("Date", "2024-01-01,2024-02-29", ["2024-01-01", "2024-02-29"]),
        ("DateTime", "2024-01-01 00:00:01", ["2024-01-01 00:00:01"]),
        ("Float64", "1.5,2", ["1.5", "2"]),
        ("Boolean", "true,0", ["true", "false"]),
    ],
)
def test_arrays_reach_clickhouse_as_themselves(element, raw, expected):
    rows = run(f"SELECT arrayMap(x -> toString(x), {{{{ Array(v, '{element}') }}}})", {"v": raw})
    assert rows == [[expected]]


def test_an_empty_default_array_is_valid():
    assert run("SELECT length({{ Array(v, 'Int32', default=[]) }})") == [[0]]


def test_in_and_not_in_an_array_param():
    template = "SELECT number FROM numbers(6) WHERE number IN {{ Array(ids, 'UInt64') }} ORDER BY number"
    assert run(template, {"ids": "1,3,5"}) == [[1], [3], [5]]
    template = "SELECT count() FROM numbers(6) WHERE {{ sql_and(number__not_in=Array(ids, 'UInt64', defined=False)) }}"
    assert run(template, {"ids": "1,3"}) == [[4]]
    assert run(template) == [[6]]


def test_limit_offset_interval_and_arithmetic_placeholders():
    template = (
        "SELECT number FROM numbers(100) WHERE now() - INTERVAL {{ Int32(hours, 24) }} HOUR < now() "
        "ORDER BY {{ column(order_by, 'number') }} "
        "LIMIT {{ Int32(page_size, 2) }} OFFSET {{ Int32(page, 0) * Int32(page_size, 2) }}"
    )
    assert run(template, {"page": "3"}) == [[6], [7]]


def test_the_issue_examples_run():
    template = """
    SELECT {{ columns(cols, 'city,amount') }}
    FROM (SELECT 'acme' AS tenant_id, 'Rome' AS city, 10 AS amount, toDate('2024-01-02') AS date)
    WHERE tenant_id = {{ String(tenant_id, 'x', required=True) }}
    {% if defined(date_from) %} AND date >= {{ Date(date_from) }} {% end %}
    LIMIT {{ Int32(page, 0) * Int32(limit, 20) }}, {{ Int32(limit, 20) }}
    """
    assert run(template, {"tenant_id": "acme", "date_from": "2024-01-01"}) == [["Rome", 10]]
    assert run(template, {"tenant_id": "acme", "date_from": "2024-01-03"}) == []
    assert run(template, {"tenant_id": "acme", "cols": "amount"}) == [[10]]
    assert run(template, {"tenant_id": "globex"}) == []


def test_an_existing_bare_placeholder_pipe_runs():
    template = (
        "SELECT count() FROM (SELECT 'acme' AS company_id, toDate('2024-01-02') AS date) "
        "WHERE company_id = {{ company_id }} AND ({{ date_from }} IS NULL OR date >= {{ date_from }}) "
        "AND ({{ date_to }} IS NULL OR date <= {{ date_to }})"
    )
    assert run(template, {"company_id": "acme", "date_from": "2024-01-01", "date_to": None}) == [[1]]
    assert run(template, {"company_id": "acme", "date_from": "2024-01-03", "date_to": None}) == [[0]]
    assert run(template, {"company_id": "a' OR 1=1 --", "date_from": None, "date_to": None}) == [[0]]


def test_a_secret_is_bound():
    assert run("SELECT {{ tb_secret('K') }}", secrets={"K": "p'w\\d"}.get) == [["p'w\\d"]]


def test_template_literals_are_valid_clickhouse():
    assert run("{% set s = 'a\\'b\\\\c\\n\\x00' %}SELECT {{ s }}, {{ [1, 2] }}, {{ None }}, {{ True }}, {{ 1.5 }}") == [
        ["a'b\\c\n\u0000", [1, 2], None, True, 1.5]
    ]


@settings(max_examples=examples(300))
@given(TEXT)
def test_any_string_comes_back_from_clickhouse_unchanged(value):
    assert run("SELECT {{ String(s) }}, {{ Array(a, 'String') }}", {"s": value, "a": [value, value]}) == [
        [value, [value, value]]
    ]
