"""The template syntax: text, {{ }}, {% if/elif/else/end %}, {% for %}, {% set %}, comments."""
from __future__ import annotations

import pytest

from pipes.template import TemplateError, render


def test_sql_around_tags_passes_through_unchanged():
    sql = "SELECT a, 'x{y}' AS b, `c` -- {not a tag}\nFROM t /* % */ WHERE a LIKE 'a%'"
    assert render(sql).sql == sql
    assert render(sql).parameters == {}


def test_a_lone_brace_and_percent_are_sql():
    assert render("SELECT {a} % 2, map('k', 1)['k'], {1:2}").sql == "SELECT {a} % 2, map('k', 1)['k'], {1:2}"


def test_comments_vanish():
    assert render("SELECT 1{# a comment with {{ x }} and {% if %} #} AS a").sql == "SELECT 1 AS a"


def test_bang_writes_the_opener_literally():
    assert render("SELECT '{{! x }}'").sql == "SELECT '{{ x }}'"
    assert render("{%! if %}").sql == "{% if %}"


def test_if_elif_else():
    template = "{% if Int32(n, 0) > 10 %}big{% elif Int32(n, 0) > 5 %}medium{% else %}small{% end %}"
    assert render(template, {"n": "11"}).sql == "big"
    assert render(template, {"n": "6"}).sql == "medium"
    assert render(template, {"n": "1"}).sql == "small"
    assert render(template).sql == "small"


def test_if_defined_includes_sql_only_when_the_param_is_there():
    template = "SELECT * FROM t WHERE 1 = 1{% if defined(country) %} AND country = {{ String(country) }}{% end %}"
    assert render(template).sql == "SELECT * FROM t WHERE 1 = 1"
    rendered = render(template, {"country": "ES"})
    assert rendered.sql == "SELECT * FROM t WHERE 1 = 1 AND country = {p_1:String}"
    assert rendered.parameters == {"p_1": "ES"}


def test_nested_blocks():
    template = "{% for x in [1, 2, 3] %}{% if x != 2 %}{{ x }},{% end %}{% end %}"
    assert render(template).sql == "1,3,"


def test_for_over_a_request_array_binds_each_element():
    rendered = render("{% for c in Array(cities, 'String') %}city = {{ c }} OR {% end %}0", {"cities": "Rome,Paris"})
    assert rendered.sql == "city = {p_1:String} OR city = {p_2:String} OR 0"
    assert rendered.parameters == {"p_1": "Rome", "p_2": "Paris"}


def test_for_with_two_targets():
    assert render("{% for a, b in [(1, 'x'), (2, 'y')] %}{{ a }}={{ b }};{% end %}").sql == "1='x';2='y';"


def test_for_over_range():
    assert render("{% for i in range(3) %}{{ i }}{% end %}").sql == "012"


def test_set_defines_a_variable():
    assert render("{% set n = 2 * 3 %}LIMIT {{ n }}").sql == "LIMIT 6"


def test_set_overrides_a_param_like_a_local_variable():
    rendered = render("{% set country = 'ES' %}{{ String(country) }}", {"country": "FR"})
    assert rendered.parameters == {"p_1": "ES"}


def test_set_keeps_a_param_bound():
    rendered = render("{% set lim = Int32(limit, 10) %}LIMIT {{ lim }}", {"limit": "3"})
    assert rendered.sql == "LIMIT {p_1:Int32}"
    assert rendered.parameters == {"p_1": 3}


def test_template_constants_are_inlined_as_literals():
    assert render("{{ 'it''s' }} {{ \"a\\\\b\" }} {{ 1.5 }} {{ -3 }} {{ True }} {{ None }} {{ [1, 'a'] }}").sql == (
        "'its' 'a\\\\b' 1.5 -3 true NULL [1, 'a']"
    )


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("{% if 1 %}x", "Missing {% end %}"),
        ("x{% end %}", "without a block"),
        ("{% else %}", "outside an {% if %}"),
        ("{% if 1 %}{% else %}{% elif 2 %}{% end %}", "outside an {% if %}"),
        ("{{ 1 ", "Missing end of template tag"),
        ("{% while 1 %}{% end %}", "Unknown or forbidden template statement 'while'"),
        ("{% set %}", "Malformed {% set %}"),
        ("{% set a == 1 %}", "Malformed {% set %}"),
        ("{% for x %}{% end %}", "Malformed {% for %}"),
        ("{{ }}", "Empty expression"),
        ("{{ 1 + }}", "Syntax error"),
    ],
)
def test_malformed_templates_are_errors(template, message):
    with pytest.raises(TemplateError, match=pytest.importorskip("re").escape(message)):
        render(template)


def test_syntax_errors_give_the_line():
    with pytest.raises(TemplateError, match="line 3"):
        render("SELECT\n1\n{{ 1 + }}")


def test_an_undefined_name_in_an_if_is_false_and_written_is_an_error_naming_it():
    assert render("{% if nope %}a{% else %}b{% end %}").sql == "b"
    assert render("{% if nope is None %}a{% end %}").sql == "a"
    with pytest.raises(TemplateError, match="'nope' is not defined") as info:
        render("SELECT {{ nope }}")
    assert info.value.param == "nope"
    with pytest.raises(TemplateError, match="'nope' is not defined"):
        render("SELECT {{ nope + 1 }}")


def test_an_unknown_function_is_an_error_naming_it():
    with pytest.raises(TemplateError, match="Unknown template function 'Strng'"):
        render("{{ Strng(x) }}")
