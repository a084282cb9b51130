"""Tinybird's template language, rendered to ClickHouse SQL with bound, typed query parameters.

    >>> rendered = render("SELECT * FROM t WHERE c = {{ String(c, 'x') }} LIMIT {{ Int32(n, 10) }}", {"n": "5"})
    >>> rendered.sql
    'SELECT * FROM t WHERE c = {p_1:String} LIMIT {p_2:Int32}'
    >>> rendered.parameters
    {'p_1': 'x', 'p_2': 5}

Written from Tinybird's public documentation (template functions, query parameters, advanced
templates) with Tornado's template syntax; it neither copies nor uses Tinybird's own renderer.
A pure module: no Django, no ClickHouse connection, no environment.
"""
from __future__ import annotations

from .declared import ParamDecl, declared_params
from .errors import TemplateError
from .render import Limits, Rendered, render

__all__ = ["Limits", "ParamDecl", "Rendered", "TemplateError", "declared_params", "render"]
