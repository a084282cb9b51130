"""lib.tinybird_template: the analysis of which params a template writes into its SQL, the one
both the built-in host (``pipes.template``) and the isolation audit (``charts.isolation``) use."""
from __future__ import annotations

import pytest

from lib.tinybird_template import GUARDED, UNGUARDED, TemplateError, filter_uses, is_template
from lib.tinybird_template.sql import SqlState


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT * FROM t WHERE c = {{ c }}",
        "%\nSELECT * FROM t WHERE c = {{ String(c, required=True) }}",
        "SELECT * FROM t WHERE note = '--' AND c = {{ c }}",
        "SELECT * FROM t -- a comment\nWHERE c = {{ c }}",
        "{% set v = String(c) %}SELECT * FROM t WHERE c = {{ v }}",
        "SELECT * FROM t WHERE {{ sql_and(c__in=Array(c, 'String')) }}",
        "SELECT 1 {% if defined(x) %} /* {% end %} WHERE c = {{ c }}",  # branches disagree: read as code
    ],
)
def test_a_value_written_outside_comments_without_a_guard_is_unguarded(sql: str) -> None:
    assert filter_uses(sql)["c"] == UNGUARDED


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT * FROM t WHERE 1 {% if defined(c) %} AND c = {{ String(c) }} {% end %}",
        "SELECT * FROM t {% if not defined(c) %} {% else %} WHERE c = {{ c }} {% end %}",
        "SELECT * FROM t WHERE {{ sql_and(c__in=Array(c, 'String', defined=False)) }}",
        "SELECT * FROM t\n-- {% if defined(c) %}\nWHERE c = {{ c }}\n-- {% end %}",
    ],
)
def test_a_value_written_only_under_a_defined_guard_is_guarded(sql: str) -> None:
    assert filter_uses(sql)["c"] == GUARDED


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT * FROM t",
        "SELECT * FROM t -- WHERE c = {{ c }}",
        "SELECT * FROM t /* WHERE c = {{ String(c, required=True) }} */",
        "SELECT * FROM t {# WHERE c = {{ c }} #}",
        "SELECT * FROM t {% if defined(c) %} WHERE 1 {% end %}",  # tested, its value never written
        "SELECT {{ Int32(limit, 10, description='c') }}",
        "SELECT * FROM t WHERE c = {{ c_old }}",
        "SELECT 'c' AS c FROM t",
    ],
)
def test_a_param_whose_value_the_sql_never_reads_is_absent(sql: str) -> None:
    assert "c" not in filter_uses(sql)


def test_a_comment_inside_an_if_ends_with_its_line() -> None:
    sql = "SELECT 1 {% if defined(x) %} -- note\n{% end %} WHERE c = {{ c }}"
    assert filter_uses(sql)["c"] == UNGUARDED


def test_a_malformed_template_raises() -> None:
    with pytest.raises(TemplateError):
        filter_uses("SELECT {% if defined(c) %} x")


@pytest.mark.parametrize(
    ("sql", "expected"),
    [("%\nSELECT 1", True), ("SELECT {{ c }}", True), ("{% if 1 %}{% end %}", True), ("SELECT '{#'", False), ("SELECT 1", False)],
)
def test_is_template(sql: str, expected: bool) -> None:
    assert is_template(sql) is expected


def test_the_sql_lexer_knows_quotes_and_comments() -> None:
    state = SqlState()
    for text, expected in [("SELECT 'it''s'", "code"), (" a -- x", "--"), ("\n /* y", "/*"), (" */ `id", "`"), ("`", "code")]:
        state.feed(text)
        assert state.state == expected, text
