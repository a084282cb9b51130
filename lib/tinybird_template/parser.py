"""Template text -> a tree of nodes, with every expression parsed and checked against the
whitelist before anything runs.

The syntax is Tornado's (Apache-2.0), which Tinybird uses: ``{{ expr }}``, ``{% if %}``/
``{% elif %}``/``{% else %}``/``{% end %}``, ``{% for x in expr %}``, ``{% set x = expr %}``,
``{# comment #}``, and ``{{!``/``{%!``/``{#!`` for the literal ``{{``/``{%``/``{#``. Expressions
are Python expressions, but only the node types in ``_ALLOWED`` are accepted: no attribute access,
no lambdas, comprehensions, f-strings, walrus, starred arguments, and no name that starts with
an underscore. Because the interpreter (``pipes.template.render``) walks the same tree and knows only these
nodes, the whitelist is the sandbox: there is no ``eval``/``exec`` anywhere.
"""
from __future__ import annotations

import ast
import functools
import re
from dataclasses import dataclass, field

from .errors import TemplateError

MAX_EXPRESSION_CHARS = 4000
MAX_EXPRESSION_DEPTH = 60
MAX_TEMPLATE_CHARS = 1_000_000
MAX_BLOCK_DEPTH = 100

_ALLOWED: tuple[type[ast.AST], ...] = (
    ast.Expression,
    ast.Constant,
    ast.Name,
    ast.Load,
    ast.List,
    ast.Tuple,
    ast.Dict,
    ast.BinOp,
    ast.UnaryOp,
    ast.BoolOp,
    ast.Compare,
    ast.IfExp,
    ast.Call,
    ast.keyword,
    ast.Subscript,
    ast.Slice,
    # operators
    ast.Add,
    ast.Sub,
    ast.Mult,
    ast.Div,
    ast.FloorDiv,
    ast.Mod,
    ast.Pow,
    ast.USub,
    ast.UAdd,
    ast.Not,
    ast.And,
    ast.Or,
    ast.Eq,
    ast.NotEq,
    ast.Lt,
    ast.LtE,
    ast.Gt,
    ast.GtE,
    ast.In,
    ast.NotIn,
    ast.Is,
    ast.IsNot,
)

_DESCRIBE: dict[type[ast.AST], str] = {
    ast.Attribute: "attribute access",
    ast.Lambda: "lambda",
    ast.ListComp: "comprehensions",
    ast.SetComp: "comprehensions",
    ast.DictComp: "comprehensions",
    ast.GeneratorExp: "comprehensions",
    ast.JoinedStr: "f-strings",
    ast.NamedExpr: ":=",
    ast.Starred: "* arguments",
    ast.Await: "await",
    ast.Yield: "yield",
    ast.YieldFrom: "yield",
}

_IDENT_RE = re.compile(r"[A-Za-z][A-Za-z0-9_]*\Z")
_SET_RE = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_]*)\s*=(?!=)(.*)\Z", re.S)
_FOR_RE = re.compile(r"\s*(.+?)\s+in\s+(.+)\Z", re.S)


# --- nodes -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Text:
    text: str


@dataclass(frozen=True)
class Expr:
    tree: ast.expr
    line: int
    source: str


@dataclass(frozen=True)
class Set:
    name: str
    tree: ast.expr
    line: int


@dataclass(frozen=True)
class For:
    targets: tuple[str, ...]
    tree: ast.expr
    body: list[Node]
    line: int


@dataclass(frozen=True)
class If:
    branches: list[tuple[ast.expr, list[Node]]]
    orelse: list[Node] | None
    line: int


Node = Text | Expr | Set | For | If


@dataclass
class _Frame:
    kind: str  # "root", "if", "for"
    line: int
    body: list[Node] = field(default_factory=list)
    branches: list[tuple[ast.expr, list[Node]]] = field(default_factory=list)
    orelse: list[Node] | None = None
    targets: tuple[str, ...] = ()
    tree: ast.expr | None = None


# --- expressions -----------------------------------------------------------------------------


def check_name(name: str, line: int) -> None:
    if not _IDENT_RE.match(name):
        raise TemplateError(f"Forbidden name '{name}' (line {line}): names may not start with an underscore")


def _check(node: ast.AST, line: int, depth: int) -> None:
    if depth > MAX_EXPRESSION_DEPTH:
        raise TemplateError(f"Expression nested too deeply (line {line})")
    if not isinstance(node, _ALLOWED):
        what = _DESCRIBE.get(type(node), type(node).__name__)
        raise TemplateError(f"Forbidden in templates (line {line}): {what}")
    if isinstance(node, ast.Name):
        check_name(node.id, line)
    elif isinstance(node, ast.Call):
        if not isinstance(node.func, ast.Name):
            _check(node.func, line, depth + 1)  # says "attribute access", "lambda"… where it is one
            raise TemplateError(f"Only template functions can be called, by name (line {line})")
        for kw in node.keywords:
            if kw.arg is None:
                raise TemplateError(f"Forbidden in templates (line {line}): ** arguments")
            if kw.arg.startswith("__"):
                raise TemplateError(f"Forbidden name '{kw.arg}' (line {line})")
    elif isinstance(node, ast.Dict) and any(key is None for key in node.keys):
        raise TemplateError(f"Forbidden in templates (line {line}): ** unpacking")
    elif isinstance(node, ast.Constant) and not isinstance(node.value, (str, int, float, bool, type(None))):
        raise TemplateError(f"Forbidden constant (line {line}): {type(node.value).__name__}")
    for child in ast.iter_child_nodes(node):
        _check(child, line, depth + 1)


def parse_expression(source: str, line: int) -> ast.expr:
    """``source`` as a checked expression tree, or TemplateError saying why not."""
    text = source.strip()
    if not text:
        raise TemplateError(f"Empty expression (line {line})")
    if len(text) > MAX_EXPRESSION_CHARS:
        raise TemplateError(f"Expression too long (line {line})")
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError as exc:
        raise TemplateError(f"Syntax error in template expression '{text[:80]}' (line {line}): {exc.msg}") from None
    except (RecursionError, MemoryError, ValueError):
        raise TemplateError(f"Expression too complex (line {line})") from None
    _check(tree, line, 0)
    return tree.body


# --- statements ------------------------------------------------------------------------------


def _line_at(text: str, pos: int) -> int:
    return text.count("\n", 0, pos) + 1


_PERCENT_LINE_RE = re.compile(r"[ \t]*%[ \t]*(?:\r?\n|\Z)")


@functools.lru_cache(maxsize=512)
def parse(template: str) -> list[Node]:
    """The node tree of ``template``; TemplateError (with its line) for a malformed one.

    A first line that is only ``%`` (how a .pipe marks a templated node) is left out, its
    newline kept so that line numbers still match the node's text. Trees are cached by text and
    shared: nothing may change them.
    """
    if len(template) > MAX_TEMPLATE_CHARS:
        raise TemplateError("Template too long")
    if match := _PERCENT_LINE_RE.match(template):
        template = "\n" * match.group(0).count("\n") + template[match.end() :]
    stack = [_Frame("root", 1)]
    pos, n = 0, len(template)
    text_start = 0

    def flush_text(end: int) -> None:
        if end > text_start:
            stack[-1].body.append(Text(template[text_start:end]))

    while pos < n:
        start = template.find("{", pos)
        if start < 0 or start + 1 >= n:
            break
        opener = template[start + 1]
        if opener not in "{%#":
            pos = start + 1
            continue
        # A run of braces such as "{{{" belongs to the SQL up to the last possible opener.
        if opener == "{" and start + 2 < n and template[start + 2] == "{":
            pos = start + 1
            continue
        line = _line_at(template, start)
        if start + 2 < n and template[start + 2] == "!":
            # {{! {%! {#! : the opener itself, literally
            flush_text(start)
            stack[-1].body.append(Text("{" + opener))
            pos = text_start = start + 3
            continue
        closer = {"{": "}}", "%": "%}", "#": "#}"}[opener]
        end = template.find(closer, start + 2)
        if end < 0:
            raise TemplateError(f"Missing end of template tag '{{{opener}' (line {line})")
        flush_text(start)
        content = template[start + 2 : end]
        pos = text_start = end + 2
        if opener == "#":
            continue
        if opener == "{":
            stack[-1].body.append(Expr(parse_expression(content, line), line, content.strip()))
            continue
        _statement(content.strip(), line, stack)
    text_start = min(text_start, n)
    if n > text_start:
        stack[-1].body.append(Text(template[text_start:]))
    if len(stack) > 1:
        raise TemplateError(f"Missing {{% end %}} for the {{% {stack[-1].kind} %}} on line {stack[-1].line}")
    return stack[0].body


def _statement(content: str, line: int, stack: list[_Frame]) -> None:
    keyword, _, rest = content.partition(" ")
    keyword = keyword.strip()
    rest = rest.strip()
    frame = stack[-1]
    if keyword in ("if", "for") and len(stack) > MAX_BLOCK_DEPTH:
        raise TemplateError(f"Blocks nested too deeply (line {line})")
    if keyword == "if":
        new = _Frame("if", line)
        new.branches.append((parse_expression(rest, line), new.body))
        stack.append(new)
    elif keyword in ("elif", "else"):
        if frame.kind != "if" or frame.orelse is not None:
            raise TemplateError(f"{{% {keyword} %}} outside an {{% if %}} block (line {line})")
        if keyword == "elif":
            frame.body = []
            frame.branches.append((parse_expression(rest, line), frame.body))
        else:
            if rest:
                raise TemplateError(f"Unexpected text after {{% else %}} (line {line})")
            frame.body = frame.orelse = []
    elif keyword == "end":
        if frame.kind == "root":
            raise TemplateError(f"{{% end %}} without a block to close (line {line})")
        stack.pop()
        if frame.kind == "if":
            stack[-1].body.append(If(frame.branches, frame.orelse, frame.line))
        else:
            assert frame.tree is not None
            stack[-1].body.append(For(frame.targets, frame.tree, frame.body, frame.line))
    elif keyword == "for":
        match = _FOR_RE.match(rest)
        if match is None:
            raise TemplateError(f"Malformed {{% for %}} (line {line}): write {{% for x in expr %}}")
        targets = tuple(t.strip() for t in match[1].strip("() ").split(","))
        for target in targets:
            check_name(target, line)
        new = _Frame("for", line, targets=targets, tree=parse_expression(match[2], line))
        stack.append(new)
    elif keyword == "set":
        match = _SET_RE.match(rest)
        if match is None:
            raise TemplateError(f"Malformed {{% set %}} (line {line}): write {{% set name = expr %}}")
        check_name(match[1], line)
        frame.body.append(Set(match[1], parse_expression(match[2], line), line))
    else:
        shown = keyword or content
        raise TemplateError(f"Unknown or forbidden template statement '{shown[:40]}' (line {line})")
