"""Tinybird's typed param functions: parsing, ranges, defaults, required, binding, arithmetic."""
from __future__ import annotations

from datetime import date, datetime

import pytest

from pipes.template import TemplateError, render


def one(template: str, values: dict | None = None) -> tuple[str, object, str]:
    rendered = render(template, values)
    assert list(rendered.parameters) == ["p_1"], rendered
    return rendered.sql, rendered.parameters["p_1"], rendered.types["p_1"]


@pytest.mark.parametrize(
    ("function", "raw", "value", "ch_type"),
    [
        ("String", "héllo 'x'", "héllo 'x'", "String"),
        ("Boolean", "true", True, "Bool"),
        ("Boolean", "False", False, "Bool"),
        ("Boolean", "1", True, "Bool"),
        ("Boolean", "0", False, "Bool"),
        ("Date", "2024-02-29", date(2024, 2, 29), "Date"),
        ("DateTime", "2024-01-02 03:04:05", datetime(2024, 1, 2, 3, 4, 5), "DateTime"),
        ("DateTime", "2024-01-02T03:04:05", datetime(2024, 1, 2, 3, 4, 5), "DateTime"),
        ("DateTime", "2024-01-02T03:04:05Z", datetime(2024, 1, 2, 3, 4, 5), "DateTime"),
        ("DateTime", "2024-01-02", datetime(2024, 1, 2), "DateTime"),
        ("DateTime64", "2024-01-02 03:04:05.123", datetime(2024, 1, 2, 3, 4, 5, 123000), "DateTime64(6)"),
        ("Float32", "1.5", 1.5, "Float32"),
        ("Float64", "-2e-3", -0.002, "Float64"),
        ("Float64", ".5", 0.5, "Float64"),
        ("Int8", "-128", -128, "Int8"),
        ("Int16", "32767", 32767, "Int16"),
        ("Int32", "+7", 7, "Int32"),
        ("Int64", "-9223372036854775808", -(2**63), "Int64"),
        ("Int128", str(2**127 - 1), 2**127 - 1, "Int128"),
        ("Int256", str(-(2**255)), -(2**255), "Int256"),
        ("UInt8", "255", 255, "UInt8"),
        ("UInt16", "0", 0, "UInt16"),
        ("UInt32", "4294967295", 4294967295, "UInt32"),
        ("UInt64", str(2**64 - 1), 2**64 - 1, "UInt64"),
        ("UInt128", str(2**128 - 1), 2**128 - 1, "UInt128"),
        ("UInt256", str(2**256 - 1), 2**256 - 1, "UInt256"),
    ],
)
def test_each_type_parses_and_binds_its_value(function, raw, value, ch_type):
    sql, bound, bound_type = one(f"x = {{{{ {function}(v) }}}}", {"v": raw})
    assert sql == f"x = {{p_1:{ch_type}}}"
    assert bound == value
    assert bound_type == ch_type


@pytest.mark.parametrize(
    ("function", "raw"),
    [
        ("Int8", "128"),
        ("Int8", "-129"),
        ("UInt8", "256"),
        ("UInt8", "-1"),
        ("UInt64", str(2**64)),
        ("Int32", "1.5"),
        ("Int32", "1_000"),
        ("Int32", "٣"),  # an Arabic-Indic digit: Python's int() would take it
        ("Int32", " 1"),
        ("Int32", "0x10"),
        ("Int32", "abc"),
        ("Float64", "nan"),
        ("Float64", "inf"),
        ("Float64", "1e999"),
        ("Float32", "1e39"),
        ("Boolean", "yes"),
        ("Date", "2024-02-30"),
        ("Date", "20240101"),
        ("Date", "1969-12-31"),
        ("Date", "2024-01-01 00:00:00"),
        ("DateTime", "2024-01-01 25:00:00"),
        ("DateTime", "2024-01-01 00:00:00.5"),
        ("DateTime", "2024-01-01 00:00:00+02:00"),
        ("DateTime", "2200-01-01 00:00:00"),
        ("DateTime64", "1800-01-01 00:00:00"),
    ],
)
def test_a_bad_value_is_a_400_naming_the_param(function, raw):
    with pytest.raises(TemplateError, match="'v'") as info:
        render(f"{{{{ {function}(v) }}}}", {"v": raw})
    assert info.value.param == "v"
    assert info.value.status == 400
    assert info.value.payload == {"error": info.value.message}


def test_the_error_wording_names_value_type_and_param():
    with pytest.raises(TemplateError) as info:
        render("{{ Int32(page) }}", {"page": "abc"})
    assert info.value.message == "Error validating 'abc' to type Int32 for parameter 'page'"


def test_defaults_apply_when_the_param_is_missing_or_empty():
    assert one("{{ Int32(limit, 20) }}")[1] == 20
    assert one("{{ Int32(limit, 20) }}", {"limit": ""})[1] == 20
    assert one("{{ String(c, 'x') }}")[1] == "x"
    assert one("{{ Date(d, '2024-01-01') }}")[1] == date(2024, 1, 1)
    assert one("{{ Int32(limit, default=5) }}")[1] == 5


def test_a_bad_default_is_an_error_too():
    with pytest.raises(TemplateError, match="'limit'"):
        render("{{ Int8(limit, 1000) }}")


def test_no_value_and_no_default_is_null():
    assert render("x = {{ Int32(v) }}").sql == "x = NULL"


def test_required_without_value_is_a_400_naming_the_param():
    with pytest.raises(TemplateError, match="tenant_id") as info:
        render("{{ String(tenant_id, 'x', required=True) }}")
    assert info.value.param == "tenant_id"
    assert info.value.status == 400


def test_required_with_value_binds_it():
    assert one("{{ String(tenant_id, 'x', required=True) }}", {"tenant_id": "acme"})[1] == "acme"


def test_documentation_arguments_are_accepted_and_ignored():
    template = "{{ Int32(lim, 10, description='Limit the rows', required=False, example='5') }}"
    assert one(template, {"lim": "3"})[1] == 3


def test_an_unknown_keyword_is_an_error():
    with pytest.raises(TemplateError, match="unknown argument 'colour'"):
        render("{{ Int32(lim, 10, colour='red') }}")


def test_enum_restricts_the_values():
    template = "{{ String(order, 'asc', enum=['asc', 'desc']) }}"
    assert one(template, {"order": "desc"})[1] == "desc"
    with pytest.raises(TemplateError, match="order"):
        render(template, {"order": "sideways"})


def test_a_repeated_param_takes_its_last_value():
    assert one("{{ Int32(n) }}", {"n": ["1", "2"]})[1] == 2


def test_arithmetic_on_params_is_bound_as_its_result():
    sql, value, ch_type = one("{{ Int32(page, 0) * Int32(limit, 20) }}", {"page": "3"})
    assert (sql, value, ch_type) == ("{p_1:Int64}", 60, "Int64")
    assert one("{{ Float64(x, 1) / 4 }}")[1:] == (0.25, "Float64")
    assert one("{{ String(a, 'x') + '%' }}")[1:] == ("x%", "String")
    assert one("{{ UInt256(a, 1) + 1 }}")[1:] == (2, "Int256")


def test_comparisons_on_params_drive_ifs():
    template = "{% if Int32(x, 0) > 5 %}big{% else %}small{% end %}"
    assert render(template, {"x": "6"}).sql == "big"
    assert render(template, {"x": "5"}).sql == "small"
    assert render("{% if String(s, 'a') in ['a', 'b'] %}in{% end %}").sql == "in"


def test_a_comparison_written_into_sql_is_bound_not_inlined():
    assert one("{{ Int32(x, 1) > 0 }}")[1:] == (True, "Bool")


def test_an_expression_result_out_of_range_is_an_error():
    with pytest.raises(TemplateError, match="out of range"):
        render("{{ Int64(a, 9223372036854775807) + 1 }}")


def test_array_from_comma_separated_values():
    sql, value, ch_type = one("c IN {{ Array(cities, 'String') }}", {"cities": "Rome,Paris"})
    assert (sql, value, ch_type) == ("c IN {p_1:Array(String)}", ["Rome", "Paris"], "Array(String)")


def test_array_from_repeated_values():
    assert one("{{ Array(ids, 'Int32') }}", {"ids": ["1", "2"]})[1] == [1, 2]


def test_array_defaults_and_types():
    assert one("{{ Array(colors, 'String', 'black') }}")[1] == ["black"]
    assert one("{{ Array(ids, 'Int8', default='1, 2') }}")[1] == [1, 2]
    assert one("{{ Array(ids, 'UInt8', default=[3, 4]) }}")[1] == [3, 4]
    assert one("{{ Array(ds, 'Date', '2024-01-01') }}")[1:] == ([date(2024, 1, 1)], "Array(Date)")
    assert one("{{ Array(x) }}", {"x": "a"})[1:] == (["a"], "Array(String)")


def test_array_element_errors_name_the_param():
    with pytest.raises(TemplateError, match="'ids'"):
        render("{{ Array(ids, 'Int8') }}", {"ids": "1,1000"})
    with pytest.raises(TemplateError, match="unknown element type"):
        render("{{ Array(ids, 'Int7') }}", {"ids": "1"})


def test_array_required():
    with pytest.raises(TemplateError, match="ids"):
        render("{{ Array(ids, 'Int32', required=True) }}")


def test_a_typed_function_of_a_constant_converts_it():
    assert one("{{ Int32('5') }}")[1] == 5


def test_a_bare_name_is_a_string_param():
    rendered = render("SELECT 1 WHERE c = {{ company_id }} AND d = {{company_id}}", {"company_id": "acme"})
    assert rendered.sql == "SELECT 1 WHERE c = {p_1:String} AND d = {p_2:String}"
    assert rendered.parameters == {"p_1": "acme", "p_2": "acme"}


def test_a_bare_name_declared_but_not_sent_is_null():
    assert render("({{ d }} IS NULL OR x >= {{ d }})", {"d": None}).sql == "(NULL IS NULL OR x >= NULL)"


def test_fixed_params_may_be_json_numbers_and_booleans():
    assert one("{{ Int32(company_id) }}", {"company_id": 42})[1] == 42
    assert one("{{ String(company_id) }}", {"company_id": 42})[1] == "42"
    assert one("{{ company_id }}", {"company_id": 42})[1:] == ("42", "String")
    assert one("{{ Boolean(flag) }}", {"flag": False})[1] is False
    assert render("{% if defined(n) %}yes{% end %}", {"n": 0}).sql == "yes"


def test_dates_compare_with_date_strings():
    template = "{% if Date(d, '2024-01-01') >= '2024-06-01' %}late{% else %}early{% end %}"
    assert render(template, {"d": "2024-07-01"}).sql == "late"
    assert render(template).sql == "early"
    assert render("{% if '2024-01-02 00:00:00' > DateTime(t) %}y{% end %}", {"t": "2024-01-01"}).sql == "y"
    assert render("{% if Date(a) < Date(b) %}y{% end %}", {"a": "2024-01-01", "b": "2024-01-02"}).sql == "y"
    with pytest.raises(TemplateError, match="Date"):
        render("{% if Date(d) > 'soon' %}y{% end %}", {"d": "2024-01-01"})
