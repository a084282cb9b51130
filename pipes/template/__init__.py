"""Tinybird's template language, rendered to ClickHouse SQL with bound, typed query parameters.

    >>> rendered = render("SELECT * FROM t WHERE c = {{ String(c, 'x') }} LIMIT {{ Int32(n, 10) }}", {"n": "5"})
    >>> rendered.sql
    'SELECT * FROM t WHERE c = {p_1:String} LIMIT {p_2:Int32}'
    >>> rendered.parameters
    {'p_1': 'x', 'p_2': 5}
    >>> rendered.text_parameters()  # as chDB's params= and ClickHouse's HTTP param_<name> take them
    {'p_1': 'x', 'p_2': '5'}

Written from Tinybird's public documentation (template functions, query parameters, advanced
templates) with Tornado's template syntax; it neither copies nor uses Tinybird's own renderer.
A pure module: no Django, no ClickHouse connection, no environment (secrets come from the
``secrets`` callback). Modules: ``render`` (the interpreter), ``functions`` (what a template may
call), ``types`` (request strings -> typed values, literals), ``values``. The parser, the SQL
lexer, the vocabulary, ``declared_params`` and ``TemplateError`` live in the neutral
``lib.tinybird_template``, which ``charts.isolation`` reads pipe SQL with too.

Choices where the public docs are silent:
- Every value that comes from a param (request, default, fixed param, secret) is bound as
  ``{p_N:Type}``, defaults included, so the SQL text depends only on control flow
  (``defined()``, ``if``, loop counts), never on what a value contains. Constants written in
  the template are inlined as escaped literals. A param written inside quotes is an error.
- A param absent, empty (``?x=``) or None is not ``defined()``; a typed function then uses its
  default, or writes ``NULL`` when it has none; ``required=True`` makes it a 400.
- A bare ``{{ name }}`` is a String param; a name neither passed nor set is false in an ``if``
  and an error naming it anywhere its value is needed.
- ``{% set x = … %}`` shadows a request param named ``x`` (Tornado's local variables).
- A repeated param (a list) gives its last value to a scalar function and all of them to Array().
- DateTime64 binds as ``DateTime64(6)``; arithmetic on params binds as Int64 (Int256 when an
  operand is 64-bit unsigned or wider), Float64, String or Bool.
"""
from __future__ import annotations

from lib.tinybird_template import ParamDecl, TemplateError, declared_params

from .render import Limits, Rendered, render

__all__ = ["Limits", "ParamDecl", "Rendered", "TemplateError", "declared_params", "render"]
