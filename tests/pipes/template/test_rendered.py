"""What render() hands back: placeholders, their names and types, and the text form of values."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime

import pytest

from pipes.template import Rendered, TemplateError, render


def test_placeholders_are_numbered_with_the_prefix():
    rendered = render("{{ String(a, 'x') }} {{ Int32(b, 1) }}", prefix="n2")
    assert rendered == Rendered("{n2_1:String} {n2_2:Int32}", {"n2_1": "x", "n2_2": 1}, {"n2_1": "String", "n2_2": "Int32"})


def test_a_bad_prefix_is_refused():
    with pytest.raises(ValueError):
        render("1", prefix="p}; DROP")


def test_the_leading_percent_line_of_a_pipe_node_is_left_out():
    assert render("%\nSELECT {{ Int32(a, 1) }}").sql == "\nSELECT {p_1:Int32}"
    assert render("% 2").sql == "% 2"


@pytest.mark.parametrize(
    "template",
    [
        "SELECT '{{ String(x) }}'",
        "SELECT 'a%{{ x }}%'",
        'SELECT "{{ x }}"',
        "SELECT `{{ x }}`",
        "SELECT 'it\\'s {{ x }}'",
    ],
)
def test_a_param_inside_quotes_is_refused(template):
    with pytest.raises(TemplateError, match="inside quotes") as info:
        render(template, {"x": "a"})
    assert info.value.param == "x"


def test_quotes_that_close_before_the_param_are_fine():
    assert render("SELECT 'a''b', 'c\\'', \"d\" = {{ x }}", {"x": "v"}).sql == "SELECT 'a''b', 'c\\'', \"d\" = {p_1:String}"


def test_a_param_in_a_comment_is_inert():
    rendered = render("SELECT 1 -- {{ x }}\n/* {{ x }} */", {"x": "v"})
    assert rendered.sql == "SELECT 1 -- {p_1:String}\n/* {p_2:String} */"


def test_text_parameters_are_clickhouses_text_form():
    rendered = render(
        "{{ String(s) }} {{ Boolean(b) }} {{ Date(d) }} {{ DateTime(t) }} {{ DateTime64(u) }} {{ Float64(f) }} "
        "{{ Array(a, 'String') }} {{ Array(i, 'Int32') }} {{ Array(ds, 'DateTime') }}",
        {
            "s": "a\\b\nc\td'e\0",
            "b": "1",
            "d": "2024-01-02",
            "t": "2024-01-02 03:04:05",
            "u": "2024-01-02 03:04:05.5",
            "f": "0.1",
            "a": ["x'y", "z\\w"],
            "i": "1,2",
            "ds": "2024-01-01",
        },
    )
    assert rendered.parameters["p_3"] == date(2024, 1, 2)
    assert rendered.parameters["p_5"] == datetime(2024, 1, 2, 3, 4, 5, 500000)
    assert rendered.text_parameters() == {
        "p_1": "a\\\\b\\nc\\td'e\\0",
        "p_2": "true",
        "p_3": "2024-01-02",
        "p_4": "2024-01-02 03:04:05",
        "p_5": "2024-01-02 03:04:05.500000",
        "p_6": "0.1",
        "p_7": "['x\\'y','z\\\\w']",
        "p_8": "[1,2]",
        "p_9": "['2024-01-01 00:00:00']",
    }


def test_renders_in_threads_do_not_share_state():
    template = "{% set v = String(x) %}{% for i in range(50) %}{{ v }}{% end %}"

    def one(n: int) -> bool:
        rendered = render(template, {"x": str(n)})
        return set(rendered.parameters.values()) == {str(n)} and len(rendered.parameters) == 50

    with ThreadPoolExecutor(4) as pool:
        assert all(pool.map(one, range(200)))


def test_the_module_examples_hold():
    import doctest

    import pipes.template

    assert doctest.testmod(pipes.template).failed == 0


def test_the_existing_placeholder_pipes_render():
    # the shapes of tests/pipes/test_sql.py and of the demo's pipes
    rendered = render("SELECT '5%' WHERE x LIKE 'a%' AND y = {{ y }}", {"y": "v"})
    assert rendered.sql == "SELECT '5%' WHERE x LIKE 'a%' AND y = {p_1:String}"
    rendered = render("SELECT 1 WHERE a = {{a}} AND b = {{  b }} AND c = {{ a }}", {"a": "1", "b": "2"})
    assert rendered.sql == "SELECT 1 WHERE a = {p_1:String} AND b = {p_2:String} AND c = {p_3:String}"
    assert rendered.parameters == {"p_1": "1", "p_2": "2", "p_3": "1"}
    dates = "({{ date_from }} IS NULL OR date >= {{ date_from }}) AND ({{ date_to }} IS NULL OR date <= {{ date_to }})"
    rendered = render(
        "SELECT date, sum(amount) FROM orders WHERE company_id = {{ company_id }} AND " + dates + " GROUP BY date",
        {"company_id": "acme", "date_from": "2024-01-01", "date_to": None},
    )
    assert rendered.sql == (
        "SELECT date, sum(amount) FROM orders WHERE company_id = {p_1:String} AND "
        "({p_2:String} IS NULL OR date >= {p_3:String}) AND (NULL IS NULL OR date <= NULL) GROUP BY date"
    )
    with pytest.raises(TemplateError, match="inside quotes"):
        render("SELECT 1 WHERE c = '{{ company_id }}'", {"company_id": "x"})
