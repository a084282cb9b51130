"""Reading pipe SQL: placeholders, binding, and the top-level LIMIT."""
from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from pipes import sql


def test_it_finds_placeholders_with_or_without_spaces():
    assert sql.placeholders("SELECT 1 WHERE a = {{a}} AND b = {{  b }} AND c = {{ a }}") == ("a", "b")


def test_placeholders_become_bound_params_and_percent_is_doubled():
    assert sql.bind("SELECT '5%' WHERE x LIKE 'a%' AND y = {{ y }}", {"y"}) == (
        "SELECT '5%%' WHERE x LIKE 'a%%' AND y = %(y)s"
    )


def test_an_undeclared_placeholder_is_a_validation_error():
    with pytest.raises(ValidationError, match="company_id"):
        sql.bind("SELECT 1 WHERE c = {{ company_id }}", {"other"})


def test_a_placeholder_inside_quotes_is_refused():
    with pytest.raises(ValidationError, match="inside quotes"):
        sql.placeholders("SELECT 1 WHERE c = '{{ company_id }}'")


@pytest.mark.parametrize("text", ["{{ String(company_id) }}", "{% if x %}1{% end %}", "{{ a b }}", "{{ 1 }}"])
def test_unsupported_template_syntax_is_refused(text):
    with pytest.raises(ValidationError, match="Unsupported template"):
        sql.placeholders(f"SELECT 1 WHERE c = {text}")


def test_a_placeholder_in_a_comment_is_inert():
    assert sql.placeholders("SELECT 1 -- was {{ old }}\n") == ()
    bound = sql.bind("SELECT 1 -- was {{ old }}\n", set())
    assert "%(" not in bound


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("SELECT a FROM t ORDER BY a LIMIT 10", "SELECT a FROM t ORDER BY a "),
        ("SELECT a FROM t limit 10 offset 5", "SELECT a FROM t "),
        ("SELECT a FROM t OFFSET 5 LIMIT 10", "SELECT a FROM t "),
        ("SELECT a FROM (SELECT a FROM t LIMIT 3) s", None),
        ("WITH x AS (SELECT a FROM t LIMIT 3) SELECT * FROM x", None),
        ("SELECT 'LIMIT 3' AS a FROM t", None),
        ("SELECT a FROM t -- LIMIT 3\n", None),
        ("SELECT a AS limited FROM t", None),
    ],
)
def test_only_a_top_level_limit_counts(text, expected):
    assert sql.without_top_level_limit(text) == expected


def test_trailing_semicolons_are_stripped():
    assert sql.strip_terminator("SELECT 1;  \n;") == "SELECT 1"
    assert sql.strip_terminator("SELECT ';' AS a; -- done") == "SELECT ';' AS a -- done"


@pytest.mark.parametrize(
    "text",
    [
        "SELECT 1; DROP TABLE orders",
        "SELECT 1) AS x; DROP TABLE orders; SELECT * FROM (SELECT 1",
        "SELECT 1) AS x UNION SELECT * FROM (SELECT 2",
        "SELECT (1",
    ],
)
def test_sql_that_could_escape_its_wrapper_is_refused(text):
    with pytest.raises(ValidationError):
        sql.bind(text, set())


def test_semicolons_and_parentheses_in_strings_are_fine():
    assert sql.bind("SELECT ';)' AS a, ('(') AS b", set()) == "SELECT ';)' AS a, ('(') AS b"
