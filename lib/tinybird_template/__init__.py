"""Tinybird's template language, read without running it: the parser (text -> checked tree,
the sandbox's whitelist), the SQL lexer that says whether text stands in code, quotes or a
comment, the language's vocabulary, and the analysis of the params a template declares and
writes.

Pure and shared: ``pipes.template`` renders with this parser and lexer and lists these
declarations in ``/v0/pipes``; ``charts.isolation`` reads pipe SQL with the same analysis, so
the scanner that guards tenants is the one that runs (STYLE rule 14). Modules: ``parser``,
``sql``, ``vocabulary``, ``declared``, ``errors``.
"""
from __future__ import annotations

from .declared import GUARDED, UNGUARDED, ParamDecl, declared_params, filter_uses
from .errors import TemplateError
from .parser import parse

__all__ = ["GUARDED", "UNGUARDED", "ParamDecl", "TemplateError", "declared_params", "filter_uses", "is_template", "parse"]


def is_template(sql: str) -> bool:
    """Whether node SQL is a template: a ``%`` first line (Tinybird's mark) or a ``{{``/``{%``
    tag (the built-in host's legacy ``{{ name }}`` pipes have no ``%`` line)."""
    return sql.lstrip().startswith("%") or "{{" in sql or "{%" in sql
