"""The sandbox: only whitelisted expressions and functions, and every render bounded in steps,
loop iterations, time and size. Each escape attempt must fail fast with a TemplateError."""
from __future__ import annotations

import time

import pytest

from pipes.template import Limits, TemplateError, render


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("{{ ().__class__ }}", "attribute access"),
        ("{{ ''.join(['a']) }}", "attribute access"),
        ("{{ String(x).upper() }}", "attribute access"),
        ("{{ __import__('os') }}", "Forbidden name '__import__'"),
        ("{{ _private }}", "Forbidden name '_private'"),
        ("{% import os %}", "Unknown or forbidden template statement 'import'"),
        ("{% from os import path %}", "Unknown or forbidden template statement 'from'"),
        ("{% raw 1 %}", "Unknown or forbidden template statement 'raw'"),
        ("{% module x %}", "Unknown or forbidden template statement 'module'"),
        ("{% include 'x' %}", "Unknown or forbidden template statement 'include'"),
        ("{% extends 'x' %}", "Unknown or forbidden template statement 'extends'"),
        ("{% apply x %}{% end %}", "Unknown or forbidden template statement 'apply'"),
        ("{% try %}{% end %}", "Unknown or forbidden template statement 'try'"),
        ("{{ open('/etc/passwd') }}", "Unknown template function 'open'"),
        ("{{ eval('1') }}", "Unknown template function 'eval'"),
        ("{{ exec('1') }}", "Unknown template function 'exec'"),
        ("{{ getattr(1, 'real') }}", "Unknown template function 'getattr'"),
        ("{{ globals() }}", "Unknown template function 'globals'"),
        ("{{ type(1) }}", "Unknown template function 'type'"),
        ("{{ compile('1', 'x', 'eval') }}", "Unknown template function 'compile'"),
        ("{{ (lambda: 1)() }}", "lambda"),
        ("{{ [x for x in range(3)] }}", "comprehensions"),
        ("{{ (x for x in range(3)) }}", "comprehensions"),
        ("{{ f'{1}' }}", "f-strings"),
        ("{{ (y := 1) }}", ":="),
        ("{{ max(*[1, 2]) }}", r"\* arguments"),
        ("{{ dict(**{'a': 1}) }}", r"\*\* arguments"),
        ("{{ { **{1: 2} } }}", r"\*\* unpacking"),
        ("{{ b'bytes' }}", "Forbidden constant"),
        ("{{ 1j }}", "Forbidden constant"),
        ("{{ ... }}", "Forbidden constant"),
        ("{{ x[0](1) }}", "Only template functions can be called"),
        ("{{ 1 << 1000 }}", "LShift"),
        ("{% set __class__ = 1 %}", "Malformed|Forbidden"),
        ("{% for __x in [1] %}{% end %}", "Forbidden name"),
        ("{{ '%s' % 1 }}", "% operator on strings"),
        ("{{ yield }}", "Syntax error|yield"),
    ],
)
def test_escapes_are_refused(template, message):
    start = time.monotonic()
    with pytest.raises(TemplateError, match=message):
        render(template, {"x": "a"})
    assert time.monotonic() - start < 1


@pytest.mark.parametrize(
    "template",
    [
        "{% for i in range(10**9) %}x{% end %}",
        "{% for i in range(10**6) %}{% for j in range(10**6) %}{% end %}{% end %}",
        "{% for i in range(10**9) %}{% end %}",
        "{% for i in Array(n, 'Int32', '1') * 10**6 %}{% end %}",
    ],
)
def test_huge_loops_fail_fast(template):
    start = time.monotonic()
    with pytest.raises(TemplateError, match="limit|too long"):
        render(template)
    assert time.monotonic() - start < 3


@pytest.mark.parametrize(
    "template",
    [
        "{{ 10**10**10 }}",
        "{{ 2**100000 }}",
        "{{ Int32(x, 10) ** Int32(y, 100000) }}",
        "{{ 10**300 * 10**300 }}",
        "{{ 'a' * 10**9 }}",
        "{{ [1] * 10**9 }}",
        "{{ 'a' * 1000000 + 'b' * 1000000 }}",
        "{{ int('9' * 5000) }}",
    ],
)
def test_huge_numbers_and_strings_fail_fast(template):
    start = time.monotonic()
    with pytest.raises(TemplateError):
        render(template)
    assert time.monotonic() - start < 1


@pytest.mark.parametrize(
    "template",
    [
        "{{ " + "(" * 500 + "1" + ")" * 500 + " }}",
        "{{ " + "[" * 500 + "]" * 500 + " }}",
        "{{ " + "-" * 5000 + "1 }}",
        "{{ " + "not " * 1000 + "1 }}",
        "{{ " + "+".join(["1"] * 1500) + " }}",
        "{{ " + "1" + " if 1 else 1" * 400 + " }}",
        "{{ " + "max(" * 300 + "1" + ")" * 300 + " }}",
    ],
)
def test_deeply_nested_expressions_are_refused(template):
    start = time.monotonic()
    with pytest.raises(TemplateError, match="too|nested|Syntax"):
        render(template)
    assert time.monotonic() - start < 1


def test_a_long_flat_expression_within_limits_is_fine():
    assert render("{{ " + "+".join(["1"] * 50) + " }}").sql == "50"


def test_deeply_nested_blocks_are_bounded():
    template = "{% if 1 %}" * 5000 + "x" + "{% end %}" * 5000
    with pytest.raises(TemplateError, match="nested too deeply"):
        render(template)


def test_the_step_budget_and_the_deadline_are_configurable():
    with pytest.raises(TemplateError, match="step limit"):
        render("{% for i in range(100) %}{{ i }}{% end %}", limits=Limits(max_steps=50))
    with pytest.raises(TemplateError, match="took too long"):
        render("{% for i in range(100000) %}{{ i + i }}{% end %}", limits=Limits(seconds=0.01))


def test_a_recursive_structure_cannot_be_built():
    # no attribute access and no mutation: a template cannot append a list to itself
    with pytest.raises(TemplateError):
        render("{% set a = [] %}{{ a.append(a) }}")


def test_a_request_value_is_never_code():
    rendered = render("{{ x }}", {"x": "__import__('os').system('true')"})
    assert rendered.sql == "{p_1:String}"
    assert rendered.parameters == {"p_1": "__import__('os').system('true')"}
    assert render("{{ String(x) }}", {"x": "{{ 1 + 1 }}{% if 1 %}"}).parameters == {"p_1": "{{ 1 + 1 }}{% if 1 %}"}


@pytest.mark.parametrize(
    "template",
    [
        "{{ str([[1] * 1000000] * 1000000) }}",
        "{{ sum([[1] * 1000000] * 1000, []) }}",
        "{{ " + "9" * 4000 + " }}",
        "{% set a = [] %}{% for i in range(100000) %}{% set a = [a] %}{% end %}{{ len(a + a) }}",
    ],
)
def test_builtins_cannot_blow_up(template):
    start = time.monotonic()
    with pytest.raises(TemplateError):
        render(template)
    assert time.monotonic() - start < 3


def test_a_param_inside_a_list_stays_a_param():
    assert render("{{ max([Int32(a, 1), 5]) }}", {"a": "9"}).parameters == {"p_1": 9}
    assert render("{% if 'x' in [String(a)] %}yes{% end %}", {"a": "x"}).sql == "yes"
    assert render("{{ [String(a), 'b'] }}", {"a": "x"}).sql == "[{p_1:String}, 'b']"
    assert render("{{ {'k': String(a)}['k'] }}", {"a": "x"}).sql == "{p_1:String}"
    assert render("{{ ['a', 'b'][Int32(i, 0)] }}", {"i": "1"}).parameters == {"p_1": "b"}


@pytest.mark.parametrize(
    "template",
    [
        "{{ str([String(a)]) }}",
        "{% set d = {String(a): 1} %}{% for k in d %}{{ k }}{% end %}",
        "{% for k, v in Array(a) %}{{ k }}{% end %}",
    ],
)
def test_a_request_value_cannot_be_laundered_into_a_constant(template):
    with pytest.raises(TemplateError):
        render(template, {"a": "xy"})


def test_a_param_deep_inside_a_list_is_bound_too():
    assert render("{{ [[String(a)], 1] }}", {"a": "x"}).sql == "[[{p_1:String}], 1]"
