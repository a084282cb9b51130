"""declared_params(): the params a template declares, read without rendering it."""
from __future__ import annotations

import pytest

from pipes.template import ParamDecl, TemplateError, declared_params


def by_name(template: str) -> dict[str, ParamDecl]:
    return {decl.name: decl for decl in declared_params(template)}


def test_typed_params_with_their_documentation():
    decls = declared_params(
        "SELECT * FROM TR LIMIT {{ Int32(lim, 10, description='Limit the number of rows', required=False, example='5') }}"
    )
    assert decls == [ParamDecl("lim", "Int32", 10, False, "Limit the number of rows", "5", False)]


def test_every_kind_of_declaration_in_order_of_first_use():
    decls = declared_params(
        """%
        SELECT {{ columns(cols, 'a,b') }} FROM t
        WHERE tenant = {{ String(tenant_id, required=True) }}
          AND d >= {{ DateTime(start, '2024-01-01 00:00:00') }}
          AND c IN {{ Array(cities, 'Int32', '1,2') }}
          AND x = {{ bare }}
          AND {{ sql_and(k__in=Array(kinds, 'String', defined=False)) }}
        ORDER BY {{ column(order_by, 'date') }}
        LIMIT {{ Int32(page, 0) * Int32(page_size, 20) }}
        """
    )
    assert [(d.name, d.type, d.default, d.required) for d in decls] == [
        ("cols", "String", "a,b", False),
        ("tenant_id", "String", None, True),
        ("start", "DateTime", "2024-01-01 00:00:00", False),
        ("cities", "Array(Int32)", "1,2", False),
        ("bare", "String", None, False),
        ("kinds", "Array(String)", None, False),
        ("order_by", "String", "date", False),
        ("page", "Int32", 0, False),
        ("page_size", "Int32", 20, False),
    ]


def test_a_param_used_only_inside_if_defined_is_guarded():
    decls = by_name(
        """SELECT 1 WHERE 1
        {% if defined(tenant_id) %} AND tenant = {{ String(tenant_id) }} {% end %}
        {% if defined(a) and defined(b) %} AND x = {{ Int32(a) }} AND y = {{ Int32(b) }} {% end %}
        {% if defined(c) or defined(d) %} AND z = {{ Int32(c) }} {% end %}
        """
    )
    assert decls["tenant_id"].guarded
    assert decls["a"].guarded and decls["b"].guarded
    assert not decls["c"].guarded  # `defined(c) or defined(d)` does not guarantee c


def test_a_param_used_anywhere_unconditionally_is_not_guarded():
    decls = by_name(
        "{% if defined(t) %} AND a = {{ String(t) }} {% end %} AND b = {{ String(t) }}"
    )
    assert not decls["t"].guarded


def test_else_branches_and_elif_chains():
    decls = by_name(
        """{% if not defined(t) %}{{ error('t is needed') }}{% else %}t = {{ String(t) }}{% end %}
        {% if defined(u) %}u = {{ String(u) }}{% elif defined(v) %}v = {{ String(v) }} {{ String(u, 'x') }}{% end %}
        {% if not defined(w) %}1{% elif Int32(w) > 1 %}{{ Int32(w) }}{% end %}
        """
    )
    assert decls["t"].guarded
    assert decls["v"].guarded
    assert not decls["u"].guarded  # used in the elif branch, where u is surely not defined
    assert decls["w"].guarded


def test_nested_guards_accumulate():
    assert by_name("{% if defined(a) %}{% if 1 %}{{ Int32(a) }}{% end %}{% end %}")["a"].guarded


def test_sql_and_with_defined_false_is_guarded():
    assert by_name("{{ sql_and(t__in=Array(t, 'String', defined=False)) }}")["t"].guarded
    assert not by_name("{{ sql_and(t__in=Array(t, 'String')) }}")["t"].guarded


def test_a_param_only_tested_is_listed_and_guarded():
    decls = by_name("{% if defined(debug) %}1{% end %}{% if Int32(level, 0) > 1 %}2{% end %}")
    assert decls["debug"] == ParamDecl("debug", "String", guarded=True)
    assert decls["level"].type == "Int32" and decls["level"].guarded


def test_a_later_typed_use_gives_the_type():
    decls = by_name("{% if defined(n) %}{{ Int64(n) }}{% end %}")
    assert decls["n"].type == "Int64"


def test_template_variables_and_functions_are_not_params():
    decls = by_name(
        "{% set lim = 10 %}{% for c in Array(cities, 'String') %}{{ c }}{% end %}{{ lim }}{{ len('a') }}"
    )
    assert list(decls) == ["cities"]


def test_required_anywhere_makes_it_required():
    assert by_name("{{ String(t, 'x') }} {{ String(t, required=True) }}")["t"].required


def test_a_non_constant_default_is_none():
    assert by_name("{{ Int32(a, Int32(b, 1) + 1) }}")["a"].default is None


def test_a_bad_template_is_an_error():
    with pytest.raises(TemplateError):
        declared_params("{% if 1 %}")
    with pytest.raises(TemplateError, match="attribute"):
        declared_params("{{ x.y }}")


def test_the_existing_placeholder_pipes_declare_string_params():
    template = "SELECT 1 WHERE c = {{ company_id }} AND ({{ date_from }} IS NULL OR date >= {{ date_from }})"
    assert declared_params(template) == [ParamDecl("company_id", "String"), ParamDecl("date_from", "String")]


def test_the_shared_vocabulary_names_every_function_the_renderer_runs():
    """declared_params lives in lib.tinybird_template and reads templates with its vocabulary;
    the renderer implements exactly those functions."""
    from lib.tinybird_template import vocabulary
    from pipes.template import functions, types

    assert set(functions.FUNCTIONS) == vocabulary.FUNCTION_NAMES
    assert types.SCALAR_TYPES is vocabulary.SCALAR_TYPES
