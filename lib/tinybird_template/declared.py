"""The params a template declares, found by reading it (no values, nothing run).

This is what ``/v0/pipes`` lists (``declared_params``): each param's type, default, ``required``,
``description`` and ``example`` as written, and whether every use of it is guarded by
``{% if defined(p) %}`` (or left out by ``sql_and(..., defined=False)``). ``check_isolation``
asks the same walk a narrower question (``filter_uses``): is the param's value written into
the SQL outside comments at all, and is it ever written without a ``defined()`` guard? A tenant
param that is only ever guarded is optional, so the pipe relies on fixed params to filter by it.
"""
from __future__ import annotations

import ast
from collections.abc import Iterable
from dataclasses import dataclass, replace

from .parser import Expr, For, If, Node, Set, Text, parse
from .sql import CODE, COMMENTS, SqlState
from .vocabulary import FUNCTION_NAMES, NAME_FUNCTIONS, TYPED_FUNCTIONS

_NOT_GIVEN = object()


@dataclass(frozen=True)
class ParamDecl:
    name: str
    type: str  # Tinybird's name: "String", "Int32", "DateTime", "Array(Int32)"…
    default: object = None  # the default as written, when it is a constant; else None
    required: bool = False
    description: str | None = None
    example: object = None
    guarded: bool = False  # every use is inside {% if defined(name) %} (or sql_and defined=False)


def _constant(node: ast.expr | None) -> object:
    if node is None:
        return _NOT_GIVEN
    try:
        return ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return _NOT_GIVEN


def _guards(test: ast.expr) -> tuple[frozenset[str], frozenset[str]]:
    """Names surely defined when ``test`` is true, and when it is false."""
    if (
        isinstance(test, ast.Call)
        and isinstance(test.func, ast.Name)
        and test.func.id == "defined"
        and test.args
        and isinstance(test.args[0], ast.Name)
    ):
        return frozenset({test.args[0].id}), frozenset()
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        true, false = _guards(test.operand)
        return false, true
    if isinstance(test, ast.BoolOp):
        parts = [_guards(value) for value in test.values]
        if isinstance(test.op, ast.And):
            return frozenset().union(*(t for t, _ in parts)), frozenset.intersection(*(f for _, f in parts))
        return frozenset.intersection(*(t for t, _ in parts)), frozenset().union(*(f for _, f in parts))
    return frozenset(), frozenset()


class _Walker:
    def __init__(self) -> None:
        self.decls: dict[str, ParamDecl] = {}
        self.unguarded: set[str] = set()
        self.locals: set[str] = set()
        # For filter_uses: where the template's own text stands, and the params whose value is
        # written outside SQL comments (at all, and without a guard).
        self.sql = SqlState()
        self.in_comment = False
        self.written: set[str] = set()
        self.written_unguarded: set[str] = set()

    def use(self, name: str, guarded: frozenset[str], decl: ParamDecl | None, conditional: bool = False) -> None:
        if name in self.locals and name not in self.decls and decl is None:
            return  # a variable of the template, not a param
        if name not in guarded and not conditional:
            self.unguarded.add(name)
        if not self.in_comment:
            self.written.add(name)
            if name not in guarded and not conditional:
                self.written_unguarded.add(name)
        current = self.decls.get(name)
        if decl is None:
            if current is None:
                self.decls[name] = ParamDecl(name, "String")
            return
        if current is None or (current.type == "String" and current == ParamDecl(name, "String")):
            self.decls[name] = decl
        elif decl.required and not current.required:
            self.decls[name] = replace(current, required=True)

    def expression(self, node: ast.AST, guarded: frozenset[str], conditional: bool = False) -> None:
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            name = node.func.id
            if name in NAME_FUNCTIONS and node.args and isinstance(node.args[0], ast.Name):
                param = node.args[0].id
                keywords = {kw.arg: kw.value for kw in node.keywords if kw.arg}
                if name == "defined":
                    # a param only tested, never used: listed, and guarded by definition
                    if param not in self.locals and param not in self.decls:
                        self.decls[param] = ParamDecl(param, "String")
                elif name in TYPED_FUNCTIONS:
                    self.use(param, guarded, self.typed(name, param, node.args, keywords), conditional or _is_false(keywords.get("defined")))
                else:
                    default = node.args[1] if len(node.args) > 1 else keywords.get("default")
                    value = _constant(default)
                    self.use(param, guarded, ParamDecl(param, "String", None if value is _NOT_GIVEN else value), conditional)
                rest: Iterable[ast.AST] = [*node.args[1:], *node.keywords]
            else:
                rest = [*node.args, *node.keywords]
            for child in rest:
                self.expression(child, guarded, conditional)
            return
        if isinstance(node, ast.Name):
            if node.id not in FUNCTION_NAMES:
                self.use(node.id, guarded, None, conditional)
            return
        for child in ast.iter_child_nodes(node):
            self.expression(child, guarded, conditional)

    @staticmethod
    def typed(function: str, param: str, args: list[ast.expr], keywords: dict[str, ast.expr]) -> ParamDecl:
        if function == "Array":
            element = _constant(args[1]) if len(args) > 1 else "String"
            type_name = f"Array({element if isinstance(element, str) else 'String'})"
            default_node = args[2] if len(args) > 2 else keywords.get("default")
        else:
            type_name = function
            default_node = args[1] if len(args) > 1 else keywords.get("default")
        positional = dict(zip(("description", "required"), args[2:])) if function != "Array" else {}
        default = _constant(default_node)
        required = _constant(keywords.get("required", positional.get("required")))
        description = _constant(keywords.get("description", positional.get("description")))
        example = _constant(keywords.get("example"))
        return ParamDecl(
            param,
            type_name,
            None if default is _NOT_GIVEN else default,
            required is True,
            description if isinstance(description, str) else None,
            None if example is _NOT_GIVEN else example,
        )

    def nodes(self, nodes: list[Node], guarded: frozenset[str]) -> None:
        for node in nodes:
            if isinstance(node, Text):
                self.sql.feed(node.text)
                continue
            if isinstance(node, Expr):
                self.in_comment = self.sql.state in COMMENTS
                self.expression(node.tree, guarded)
                self.in_comment = False
            elif isinstance(node, Set):
                self.expression(node.tree, guarded)
                self.locals.add(node.name)
            elif isinstance(node, For):
                self.expression(node.tree, guarded)
                self.locals.update(node.targets)
                entry = self.sql.state
                self.nodes(node.body, guarded)
                self.join_sql_states([entry, self.sql.state])  # the body runs zero or more times
            elif isinstance(node, If):
                entry = self.sql.state
                ends = []
                previous_false: frozenset[str] = frozenset()
                for test, body in node.branches:
                    self.expression(test, guarded, conditional=True)
                    true, false = _guards(test)
                    self.sql.state = entry
                    self.nodes(body, guarded | previous_false | true)
                    ends.append(self.sql.state)
                    previous_false = previous_false | false
                self.sql.state = entry
                if node.orelse is not None:
                    self.nodes(node.orelse, guarded | previous_false)
                self.join_sql_states([*ends, self.sql.state])

    def join_sql_states(self, states: list[str]) -> None:
        """After a block, the SQL stands where every way through it left it; when the ways
        disagree (a branch that opens a quote or a comment), the text after is read as code."""
        self.sql.state = states[0] if len(set(states)) == 1 else CODE


def _is_false(node: ast.expr | None) -> bool:
    return isinstance(node, ast.Constant) and node.value is False


def declared_params(template: str) -> list[ParamDecl]:
    """The params of ``template`` in order of first appearance. ``guarded`` is True for a param
    that is never used unless it is defined. TemplateError if the template does not parse."""
    walker = _Walker()
    walker.nodes(parse(template), frozenset())
    return [replace(decl, guarded=decl.name not in walker.unguarded) for decl in walker.decls.values()]


GUARDED = "guarded"
UNGUARDED = "unguarded"


def filter_uses(template: str) -> dict[str, str]:
    """The params whose value ``template`` writes into its SQL outside ``--``/``/* */`` comments
    (in a ``{{ }}`` there, through a ``{% set %}``/``{% for %}``, or in an ``{% if %}`` test):
    UNGUARDED when some use is not inside ``{% if defined(p) %}`` (nor an ``{% if %}`` test, nor
    dropped by ``sql_and(..., defined=False)``), else GUARDED. A param only tested by
    ``defined()``, only written inside comments, or only named in a string is absent.
    TemplateError if the template does not parse."""
    walker = _Walker()
    walker.nodes(parse(template), frozenset())
    return {
        name: UNGUARDED if name in walker.written_unguarded else GUARDED
        for name in walker.decls
        if name in walker.written
    }
