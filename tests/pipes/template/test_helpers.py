"""Tinybird's helper functions: defined, column(s), symbol, sql_and, split_to_array, the date
diffs, error/custom_error, tb_secret, sql_unescape and the builtins."""
from __future__ import annotations

import pytest

from pipes.template import TemplateError, render


def test_defined_answers_from_the_values_passed_in():
    template = "{% if defined(tenant_id) %}yes{% else %}no{% end %}"
    assert render(template, {"tenant_id": "acme"}).sql == "yes"
    assert render(template, {}).sql == "no"
    assert render(template, {"tenant_id": None}).sql == "no"
    assert render(template, {"tenant_id": ""}).sql == "no"
    assert render("{% set x = 1 %}{% if defined(x) %}yes{% end %}").sql == "yes"


def test_a_fixed_param_merged_by_the_caller_is_what_renders():
    rendered = render("{% if defined(tenant_id) %}WHERE t = {{ String(tenant_id) }}{% end %}", {"tenant_id": "fixed"})
    assert rendered.sql == "WHERE t = {p_1:String}"
    assert rendered.parameters == {"p_1": "fixed"}


def test_column_quotes_a_column_name_from_a_param_or_a_variable():
    assert render("{% set var_1 = 'name' %}SELECT {{ column(var_1) }}").sql == "SELECT `name`"
    assert render("ORDER BY {{ column(order_by, 'date') }}").sql == "ORDER BY `date`"
    assert render("ORDER BY {{ column(order_by, 'date') }}", {"order_by": "city"}).sql == "ORDER BY `city`"
    assert render("{{ column(c) }}", {"c": "t.amount"}).sql == "`t`.`amount`"


def test_columns_quotes_a_list_of_names():
    assert render("{% set var_1 = 'name,age,address' %}SELECT {{ columns(var_1) }}").sql == (
        "SELECT `name`, `age`, `address`"
    )
    assert render("SELECT {{ columns(cols, 'a, b') }}").sql == "SELECT `a`, `b`"
    assert render("SELECT {{ columns(cols, 'a') }}", {"cols": "x,y"}).sql == "SELECT `x`, `y`"


@pytest.mark.parametrize(
    "name",
    ["a`b", "a b", "1a", "a;DROP TABLE t", " ", "a)", "`a`", "a--", "a\nb", "x" * 300, "a..b", "{p_1:String}"],
)
def test_column_refuses_what_is_not_a_plausible_identifier(name):
    with pytest.raises(TemplateError, match="Invalid column name") as info:
        render("SELECT {{ column(c) }}", {"c": name})
    assert info.value.param == "c"
    with pytest.raises(TemplateError, match="Invalid column name"):
        render("SELECT {{ columns(c) }}", {"c": f"a,{name}"})
    with pytest.raises(TemplateError, match="Invalid column name"):
        render("SELECT {{ symbol(String(c)) }}", {"c": name})


def test_column_without_value_or_default_is_an_error_naming_the_param():
    with pytest.raises(TemplateError, match="'c' is not defined"):
        render("SELECT {{ column(c) }}")


def test_symbol_quotes_an_identifier_from_any_value():
    assert render("ORDER BY {{ symbol(split_to_array(attr, 'amount')[0]) }}").sql == "ORDER BY `amount`"
    assert render("ORDER BY {{ symbol(split_to_array(attr, 'amount')[0]) }}", {"attr": "qty,x"}).sql == "ORDER BY `qty`"


def test_sql_and_builds_conditions_and_leaves_out_undefined_ones():
    template = (
        "WHERE {{ sql_and(id__in=Array(ids, 'Int32', defined=False), "
        "city__not_in=Array(cities, 'String', defined=False), amount__gte=Float64(min_amount, defined=False)) }}"
    )
    assert render(template).sql == "WHERE 1"
    rendered = render(template, {"ids": "1,2", "min_amount": "9.5"})
    assert rendered.sql == "WHERE `id` IN {p_1:Array(Int32)} AND `amount` >= {p_2:Float64}"
    assert rendered.parameters == {"p_1": [1, 2], "p_2": 9.5}


def test_sql_and_operators_and_constants():
    rendered = render("{{ sql_and(a__eq=1, b__neq='x', c__gt=2, d__lt=3, e__lte=4) }}")
    assert rendered.sql == "`a` = 1 AND `b` != 'x' AND `c` > 2 AND `d` < 3 AND `e` <= 4"
    with pytest.raises(TemplateError, match="column__operator"):
        render("{{ sql_and(a__like=1) }}")


def test_split_to_array():
    rendered = render("{{ split_to_array(tags) }}", {"tags": "a, b,,c"})
    assert rendered.sql == "{p_1:Array(String)}"
    assert rendered.parameters == {"p_1": ["a", "b", "c"]}
    assert render("{{ split_to_array(tags, 'x|y', separator='|') }}").parameters == {"p_1": ["x", "y"]}
    assert render("{% for t in split_to_array('a,b') %}{{ t }}{% end %}").sql == "'a''b'"


def test_date_diffs():
    assert render("{{ date_diff_in_seconds('2022-12-19 18:42:22', '2022-12-19 18:42:23') }}").sql == "1"
    assert render("{{ date_diff_in_minutes('2022-12-19 18:42:22', '2022-12-19 19:42:22') }}").sql == "60"
    assert render("{{ date_diff_in_hours('2022-12-19 18:42:22', '2022-12-20 18:42:22') }}").sql == "24"
    assert render("{{ date_diff_in_days('2022-12-19 18:42:22', '2022-12-29 18:42:22') }}").sql == "10"
    assert render("{{ date_diff_in_seconds('2022-12-19T18:42:23.521Z', '2022-12-19T18:42:22.000Z') }}").sql == "1"
    assert render("{{ date_diff_in_days('2022-12-19', '2022-12-29 00:00:00', backup_date_format='%Y-%m-%d') }}").sql == "10"
    assert render("{{ day_diff('2024-01-01', '2024-03-01') }}").sql == "60"


def test_a_date_diff_of_params_is_bound_and_can_be_tested():
    template = "{% if date_diff_in_days(Date(a, '2024-01-01'), Date(b, '2024-01-10')) > 7 %}long{% end %}"
    assert render(template).sql == "long"
    assert render(template, {"b": "2024-01-02"}).sql == ""
    assert render("{{ day_diff(Date(a), '2024-01-02') }}", {"a": "2024-01-01"}).parameters == {"p_1": 1}


def test_date_diff_with_bad_dates():
    with pytest.raises(TemplateError, match="not a date"):
        render("{{ date_diff_in_seconds('yesterday', '2022-12-19 18:42:23') }}")
    assert render("{{ date_diff_in_seconds('yesterday', '2022-12-19 18:42:23', none_if_error=True) }}").sql == "NULL"


def test_error_raises_with_message_and_code():
    with pytest.raises(TemplateError) as info:
        render("{% if not defined(x) %}{{ error('x is needed', 403) }}{% end %}")
    assert (info.value.message, info.value.status, info.value.payload) == ("x is needed", 403, {"error": "x is needed"})
    with pytest.raises(TemplateError) as info:
        render("{{ error('bad') }}")
    assert info.value.status == 400


def test_custom_error_sends_its_payload():
    with pytest.raises(TemplateError) as info:
        render("{{ custom_error({'error': 'nope', 'code': 'E1'}, 418) }}")
    assert info.value.payload == {"error": "nope", "code": "E1"}
    assert info.value.status == 418
    assert info.value.message == "nope"


def test_tb_secret_binds_the_secret_from_the_callback():
    secrets = {"PG_PASSWORD": "s3cr'et"}.get
    rendered = render("postgresql('h', 'db', 't', 'u', {{ tb_secret('PG_PASSWORD') }})", secrets=secrets)
    assert rendered.sql == "postgresql('h', 'db', 't', 'u', {p_1:String})"
    assert rendered.parameters == {"p_1": "s3cr'et"}
    assert rendered.secrets == {"p_1"}


def test_tb_secret_default_and_missing():
    assert render("{{ tb_secret('NOPE', 'dflt') }}", secrets=lambda name: None).parameters == {"p_1": "dflt"}
    with pytest.raises(TemplateError, match="Cannot access secret 'NOPE'"):
        render("{{ tb_secret('NOPE') }}", secrets=lambda name: None)
    with pytest.raises(TemplateError, match="Cannot access secret 'NOPE'"):
        render("{{ tb_secret('NOPE') }}")


def test_the_renderer_never_reads_the_environment(monkeypatch):
    monkeypatch.setenv("SOME_SECRET", "x")
    with pytest.raises(TemplateError, match="Cannot access secret"):
        render("{{ tb_secret('SOME_SECRET') }}")


def test_sql_unescape_leaves_the_bound_value_as_sent():
    rendered = render("name LIKE {{ sql_unescape(String(q, '%a%'), '%') }}")
    assert rendered.sql == "name LIKE {p_1:String}"
    assert rendered.parameters == {"p_1": "%a%"}


def test_builtins():
    assert render("{{ len('abc') }} {{ max(1, 5) }} {{ min([3, 2]) }} {{ abs(-2) }} {{ round(2.5) }}").sql == "3 5 2 2 2"
    assert render("{{ int('7') + 1 }} {{ float('1.5') }} {{ str(5) }} {{ bool(0) }} {{ sum([1, 2]) }}").sql == "8 1.5 '5' false 3"
    assert render("{{ max(Int32(a, 1), 10) }}", {"a": "20"}).parameters == {"p_1": 20}
    assert render("{{ len(Array(a, 'Int8')) }}", {"a": "1,2,3"}).parameters == {"p_1": 3}


def test_a_function_used_as_a_value_is_an_error():
    with pytest.raises(TemplateError, match="'len' is a function"):
        render("{{ len }}")


def test_a_secret_stays_a_secret_through_expressions():
    rendered = render("{{ String(tb_secret('K')) }} {{ tb_secret('K') + '@host' }}", secrets={"K": "pw"}.get)
    assert rendered.parameters == {"p_1": "pw", "p_2": "pw@host"}
    assert rendered.secrets == {"p_1", "p_2"}
