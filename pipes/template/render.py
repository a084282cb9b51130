"""The interpreter: walks the checked tree from ``parser`` with request values and writes SQL.

Every value that came from a param is written as a ClickHouse query parameter
``{p_N:Type}`` and its value goes into ``Rendered.parameters``; only constants written in the
template itself are inlined, as escaped literals; identifiers from ``column()``/``columns()``/
``symbol()`` are checked and backtick-quoted. So the text of the SQL depends on which params are
defined (``{% if defined(x) %}``) but never on what they contain.

Limits make a hostile or careless template fail fast: a budget of evaluation steps and of loop
iterations, a wall-clock deadline, a cap on the size of numbers, strings and lists it builds
and on the size of the SQL it writes.
"""
from __future__ import annotations

import ast
import operator
import re
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from lib.tinybird_template.errors import TemplateError
from lib.tinybird_template.parser import Expr, For, If, Node, Set, Text, parse
from lib.tinybird_template.sql import SqlState
from lib.tinybird_template.vocabulary import NAME_FUNCTIONS

from . import types
from .functions import FUNCTIONS, MISSING, Ref
from .values import Param, Sql, Undefined, unwrap

# A request value: a string, a list of them for a repeated param, None for a param declared but
# not sent; fixed params from a token may also be JSON numbers or booleans.
RequestValue = str | int | float | bool | list[str] | None
SecretLookup = Callable[[str], str | None]


@dataclass(frozen=True)
class Limits:
    max_steps: int = 1_000_000
    max_iterations: int = 100_000
    seconds: float = 1.0
    max_int_bits: int = 512
    max_length: int = 1_000_000  # of a string or list built by the template
    max_sql_chars: int = 10_000_000


@dataclass(frozen=True)
class Rendered:
    sql: str
    parameters: dict[str, object]  # placeholder name -> Python value (str, int, float, bool, date, datetime, list)
    types: dict[str, str]  # placeholder name -> ClickHouse type, as written in the SQL
    secrets: frozenset[str] = field(default_factory=frozenset)  # placeholders holding secrets: never log them

    def text_parameters(self) -> dict[str, str]:
        """The parameters as the text ClickHouse parses for them (HTTP ``param_<name>``, chDB
        ``params=``); clients that format Python values themselves take ``parameters``."""
        return {name: types.parameter_text(value, self.types[name]) for name, value in self.parameters.items()}


_BINOPS: dict[type[ast.operator], Callable[[object, object], object]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
}
_CMPOPS: dict[type[ast.cmpop], Callable[[Any, Any], object]] = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.In: lambda a, b: operator.contains(b, a),
    ast.NotIn: lambda a, b: not operator.contains(b, a),
    ast.Is: operator.is_,
    ast.IsNot: operator.is_not,
}
_WIDE_INTS = {"UInt64", "Int128", "UInt128", "Int256", "UInt256"}


class Renderer:
    def __init__(
        self,
        values: Mapping[str, RequestValue],
        secrets: SecretLookup | None,
        limits: Limits,
        prefix: str,
    ) -> None:
        self.values = values
        self.secrets = secrets
        self.limits = limits
        self.prefix = prefix
        self.locals: dict[str, object] = {}
        self.out: list[str] = []
        self.out_chars = 0
        self.sql_state = SqlState()
        self.parameters: dict[str, object] = {}
        self.types: dict[str, str] = {}
        self.secret_names: set[str] = set()
        self.steps = 0
        self.iterations = 0
        self.deadline = time.monotonic() + limits.seconds

    # --- budget ------------------------------------------------------------------------------

    def tick(self) -> None:
        self.steps += 1
        if self.steps > self.limits.max_steps:
            raise TemplateError("Template too complex: evaluation step limit reached")
        if self.steps % 256 == 0 and time.monotonic() > self.deadline:
            raise TemplateError(f"Template took too long to render (over {self.limits.seconds:g} s)")

    def check_size(self, value: object) -> object:
        if isinstance(value, bool):
            return value
        if isinstance(value, int):
            if value.bit_length() > self.limits.max_int_bits:
                raise TemplateError("Number too large in template expression")
        elif isinstance(value, (str, list, tuple)) and len(value) > self.limits.max_length:
            raise TemplateError("Value too long in template expression")
        return value

    # --- writing SQL -------------------------------------------------------------------------

    def write(self, text: str) -> None:
        self.out_chars += len(text)
        if self.out_chars > self.limits.max_sql_chars:
            raise TemplateError("Rendered SQL too long")
        self.out.append(text)
        self.sql_state.feed(text)

    def bind(self, param: Param) -> None:
        if param.value is None:
            self.write("NULL")
            return
        value = param.value
        if isinstance(value, range):
            raise TemplateError("A range cannot be written into SQL")
        if isinstance(value, tuple):
            value = list(value)
        if self.sql_state.state not in ("code", "--", "/*"):
            where = f"'{param.name}'" if param.name else "a value"
            raise TemplateError(
                f"The parameter {where} is written inside quotes in the SQL: write it bare, it is bound as a "
                "value (no quotes needed)",
                param=param.name,
            )
        key = f"{self.prefix}_{len(self.parameters) + 1}"
        self.parameters[key] = value
        self.types[key] = param.type
        if param.secret:
            self.secret_names.add(key)
        self.write(f"{{{key}:{param.type}}}")

    def emit(self, value: object, source: str) -> None:
        self.check_items(value)
        if isinstance(value, Param):
            self.bind(value)
        elif isinstance(value, Sql):
            for part in value.parts:
                if isinstance(part, Param):
                    self.bind(part)
                else:
                    self.write(part)
        elif isinstance(value, Undefined):
            raise self.undefined(value)
        elif isinstance(value, (list, tuple)) and self.holds_values(value):
            self.write("[")
            for index, item in enumerate(value):
                if index:
                    self.write(", ")
                self.emit(item, source)
            self.write("]")
        elif isinstance(value, range):
            raise TemplateError(f"'{source}' is a range and cannot be written into SQL")
        else:
            self.write(types.literal(value))

    @staticmethod
    def holds_values(value: list[object] | tuple[object, ...]) -> bool:
        """Whether ``value`` holds a Param, Sql or Undefined, at any depth: then it is written
        item by item, each bound, instead of as one literal."""
        stack: list[object] = list(value)
        while stack:
            item = stack.pop()
            if isinstance(item, (Param, Sql, Undefined)):
                return True
            if isinstance(item, (list, tuple)):
                stack.extend(item)
            elif isinstance(item, dict):
                stack.extend(item.values())
        return False

    @staticmethod
    def undefined(value: Undefined) -> TemplateError:
        return TemplateError(
            f"'{value.name}' is not defined: it is neither a parameter of the request nor set in the template",
            param=value.name,
        )

    # --- statements --------------------------------------------------------------------------

    def run(self, nodes: Iterable[Node]) -> None:
        for node in nodes:
            self.tick()
            if isinstance(node, Text):
                self.write(node.text)
            elif isinstance(node, Expr):
                self.emit(self.eval(node.tree), node.source)
            elif isinstance(node, Set):
                self.locals[node.name] = self.eval(node.tree)
            elif isinstance(node, If):
                for condition, body in node.branches:
                    if self.truth(self.eval(condition)):
                        self.run(body)
                        break
                else:
                    if node.orelse is not None:
                        self.run(node.orelse)
            elif isinstance(node, For):
                self.run_for(node)

    def run_for(self, node: For) -> None:
        iterable = self.eval(node.tree)
        items: Iterable[object]
        if isinstance(iterable, Param):
            element = iterable.element_type()
            source = iterable.value
            if not isinstance(source, (list, tuple, str)):
                raise TemplateError(f"Cannot loop over a single value (line {node.line})")
            items = (Param(item, element if not isinstance(source, str) else "String", iterable.name) for item in source)
        elif isinstance(iterable, (list, tuple, range, str)):
            items = iterable
        elif isinstance(iterable, dict):
            items = list(iterable)
        elif isinstance(iterable, Undefined):
            raise self.undefined(iterable)
        else:
            raise TemplateError(f"Cannot loop over {type(iterable).__name__} (line {node.line})")
        for item in items:
            self.iterations += 1
            if self.iterations > self.limits.max_iterations:
                raise TemplateError(
                    f"Template loop limit reached: more than {self.limits.max_iterations} iterations (line {node.line})"
                )
            self.tick()
            if len(node.targets) == 1:
                self.locals[node.targets[0]] = item
            else:
                if isinstance(item, Param):
                    raise TemplateError(f"Cannot unpack a parameter into several names (line {node.line})")
                parts = item
                if not isinstance(parts, (list, tuple)) or len(parts) != len(node.targets):
                    raise TemplateError(f"Cannot unpack {len(node.targets)} names in {{% for %}} (line {node.line})")
                for target, part in zip(node.targets, parts):
                    self.locals[target] = part
            self.run(node.body)

    # --- expressions -------------------------------------------------------------------------

    @staticmethod
    def truth(value: object) -> bool:
        return bool(unwrap(value))

    def lookup(self, name: str) -> object:
        if name in self.locals:
            return self.locals[name]
        if name in self.values:
            # A bare {{ name }} is a String param (the last value when repeated); a param the
            # caller passes as None (declared, not sent) is NULL.
            raw = self.values[name]
            if isinstance(raw, list):
                raw = raw[-1] if raw else None
            # fixed params from a token may be JSON numbers: a String param holds their text
            return Param(None if raw is None else types.parse_scalar(raw, "String", name), "String", name)
        if name in FUNCTIONS:
            raise TemplateError(f"'{name}' is a function: call it")
        return Undefined(name)

    def eval(self, node: ast.expr) -> object:
        self.tick()
        if isinstance(node, ast.Constant):
            return self.check_size(node.value)
        if isinstance(node, ast.Name):
            return self.lookup(node.id)
        if isinstance(node, ast.Call):
            return self.call(node)
        if isinstance(node, ast.BinOp):
            return self.binop(node)
        if isinstance(node, ast.Compare):
            return self.compare(node)
        if isinstance(node, ast.BoolOp):
            result: object = None
            for value in node.values:
                result = self.eval(value)
                if isinstance(node.op, ast.And) != self.truth(result):
                    return result
            return result
        if isinstance(node, ast.UnaryOp):
            operand = self.eval(node.operand)
            if isinstance(node.op, ast.Not):
                return not self.truth(operand)
            sign: Callable[[Any], object] = operator.neg if isinstance(node.op, ast.USub) else operator.pos
            return self.derive(sign, (operand,))
        if isinstance(node, ast.IfExp):
            return self.eval(node.body) if self.truth(self.eval(node.test)) else self.eval(node.orelse)
        if isinstance(node, (ast.List, ast.Tuple)):
            items = [self.eval(item) for item in node.elts]
            return items if isinstance(node, ast.List) else tuple(items)
        if isinstance(node, ast.Dict):
            return {
                self.hashable(self.eval(key)): self.eval(value)
                for key, value in zip(node.keys, node.values)
                if key is not None  # the parser refuses {**d}
            }
        if isinstance(node, ast.Subscript):
            return self.subscript(node)
        raise TemplateError(f"Unsupported expression: {type(node).__name__}")  # the parser refuses these

    @staticmethod
    def hashable(value: object) -> object:
        if not isinstance(value, (str, int, float, bool)) or value is None:
            # not a param either: its value would leave the dict as a plain constant
            raise TemplateError("A dictionary key must be a string or a number of the template")
        return value

    def call(self, node: ast.Call) -> object:
        assert isinstance(node.func, ast.Name)
        name = node.func.id
        function = FUNCTIONS.get(name)
        if function is None:
            raise TemplateError(f"Unknown template function '{name}'")
        args: list[object] = []
        for index, arg in enumerate(node.args):
            if index == 0 and name in NAME_FUNCTIONS:
                args.append(self.ref(arg))
            else:
                args.append(self.eval(arg))
        if not node.args and name in NAME_FUNCTIONS:
            raise TemplateError(f"{name}() needs a parameter name")
        kwargs = {kw.arg: self.eval(kw.value) for kw in node.keywords if kw.arg is not None}
        for value in [*args, *kwargs.values()]:
            if isinstance(value, Undefined) and name not in ("sql_and",):
                raise self.undefined(value)
        try:
            return function(self, *args, **kwargs)
        except TypeError as exc:
            raise TemplateError(f"Wrong arguments for {name}(): {exc}") from None
        except (ValueError, OverflowError, ArithmeticError) as exc:
            raise TemplateError(f"{name}(): {exc}") from None

    def ref(self, node: ast.expr) -> Ref:
        if isinstance(node, ast.Name):
            if node.id in self.locals:
                return Ref(node.id, self.locals[node.id])
            raw = self.values.get(node.id)
            return Ref(node.id, MISSING if raw is None else raw)
        value = self.eval(node)
        if isinstance(value, Undefined):
            return Ref(value.name, MISSING)
        return Ref(value.name if isinstance(value, Param) else None, value)

    def derive(self, function: Callable[..., object], args: tuple[object, ...] | list[object]) -> object:
        """``function`` over the values of ``args``; a Param again if any argument was one, typed
        from the argument types (not from the result) so the SQL does not depend on values."""
        for arg in args:
            if isinstance(arg, Undefined):
                raise self.undefined(arg)
            if isinstance(arg, Sql):
                raise TemplateError("SQL built by a template function cannot be used in an expression")
        params: list[Param] = []
        self.check_items(args)
        plain = [self.strip(arg, params, 0) for arg in args]
        try:
            result = function(*plain)
        except TypeError as exc:
            raise TemplateError(f"Type error in template expression: {exc}") from None
        except (ValueError, OverflowError, ArithmeticError) as exc:
            raise TemplateError(f"Error in template expression: {exc}") from None
        self.check_size(result)
        if not params:
            return result
        names = [p.name for p in params if p.name]
        return Param(result, self.result_type(result, params), names[0] if names else None, any(p.secret for p in params))

    def check_items(self, value: object) -> None:
        """TemplateError if ``value`` holds more than ``max_length`` items in all, counting
        nested lists as often as they appear (``[[1] * 10**6] * 10**6`` is small to build and
        enormous to walk or write)."""
        budget = self.limits.max_length
        stack: list[object] = [value]
        while stack:
            current = stack.pop()
            if isinstance(current, Param):
                current = current.value
            if isinstance(current, dict):
                current = list(current.values())
            if isinstance(current, (list, tuple)):
                budget -= len(current)
                if budget < 0:
                    raise TemplateError("Value too large in template expression")
                stack.extend(item for item in current if isinstance(item, (list, tuple, dict, Param)))

    def strip(self, value: object, params: list[Param], depth: int) -> object:
        """``value`` with every Param in it (also inside lists and dicts) replaced by its value,
        the Params collected in ``params``: a result computed from a list holding a param is
        itself a param, so no request value leaves as a plain constant."""
        if depth > 100:
            raise TemplateError("Template too complex: value nested too deeply")
        if isinstance(value, Param):
            params.append(value)
            return value.value
        if isinstance(value, (Sql, Undefined)):
            raise TemplateError("This value cannot be used in an expression")
        if isinstance(value, (list, tuple)):
            if not any(isinstance(item, (Param, Sql, Undefined, list, tuple, dict)) for item in value):
                return value
            items = [self.strip(item, params, depth + 1) for item in value]
            return items if isinstance(value, list) else tuple(items)
        if isinstance(value, dict):
            return {key: self.strip(item, params, depth + 1) for key, item in value.items()}
        return value

    def result_type(self, value: object, params: list[Param]) -> str:
        if isinstance(value, bool):
            return "Bool"
        if isinstance(value, int):
            kind = "Int256" if any(p.type in _WIDE_INTS for p in params) else "Int64"
            low, high = types.INT_RANGES[kind]
            if not low <= value <= high:
                raise TemplateError(f"The result {value} is out of range for {kind}")
            return kind
        if isinstance(value, float):
            return "Float64"
        if isinstance(value, str):
            return "String"
        if isinstance(value, (list, tuple)):
            array_types = {p.type for p in params if p.type.startswith("Array(")}
            return array_types.pop() if len(array_types) == 1 else "Array(String)"
        same = {p.type for p in params}
        if len(same) == 1:
            return same.pop()
        return types.infer_type(value)

    def binop(self, node: ast.BinOp) -> object:
        left, right = self.eval(node.left), self.eval(node.right)
        a, b = unwrap(left), unwrap(right)
        op = type(node.op)
        limit = self.limits
        if op is ast.Pow and isinstance(a, int) and isinstance(b, int):
            if b > 0 and abs(a) > 1 and (b > limit.max_int_bits or (abs(a).bit_length() - 1) * b > limit.max_int_bits):
                raise TemplateError("Number too large in template expression")
        if op is ast.Mult:
            if isinstance(a, int) and isinstance(b, int):
                if a.bit_length() + b.bit_length() > limit.max_int_bits + 1:
                    raise TemplateError("Number too large in template expression")
            elif isinstance(a, (str, list, tuple)) or isinstance(b, (str, list, tuple)):
                seq, times = (a, b) if isinstance(a, (str, list, tuple)) else (b, a)
                if isinstance(times, int) and len(seq) * max(times, 0) > limit.max_length:  # type: ignore[arg-type]
                    raise TemplateError("Value too long in template expression")
        if op is ast.Add and isinstance(a, (str, list, tuple)) and isinstance(b, (str, list, tuple)):
            if len(a) + len(b) > limit.max_length:
                raise TemplateError("Value too long in template expression")
        if op is ast.Mod and isinstance(a, str):
            raise TemplateError("The % operator on strings is not available in templates")
        return self.derive(_BINOPS[op], (left, right))

    def compare(self, node: ast.Compare) -> object:
        left = self.eval(node.left)
        result: object = True
        for op, comparator in zip(node.ops, node.comparators):
            right = self.eval(comparator)
            if isinstance(op, (ast.Is, ast.IsNot)):
                # `x is None` also holds for a name that was never defined
                a = None if isinstance(left, Undefined) else unwrap(left)
                b = None if isinstance(right, Undefined) else unwrap(right)
                outcome: object = (a is b) if isinstance(op, ast.Is) else (a is not b)
            else:
                outcome = self.derive(_CMPOPS[type(op)], self.comparable(left, right))
            if not self.truth(outcome):
                return outcome
            result, left = outcome, right
        return result

    @staticmethod
    def comparable(left: object, right: object) -> tuple[object, object]:
        """``Date(d) > '2024-01-01'``: a date compared with a string reads the string as a date."""
        a, b = unwrap(left), unwrap(right)
        if isinstance(a, date) and isinstance(b, str):
            return left, Renderer.as_date_like(a, b)
        if isinstance(b, date) and isinstance(a, str):
            return Renderer.as_date_like(b, a), right
        return left, right

    @staticmethod
    def as_date_like(example: date, text: str) -> object:
        if isinstance(example, datetime):
            return types.parse_datetime(text, "DateTime64", None)
        return types.parse_date(text, None)

    def subscript(self, node: ast.Subscript) -> object:
        container = self.eval(node.value)
        if isinstance(node.slice, ast.Slice):
            bounds = [None if part is None else self.eval(part) for part in (node.slice.lower, node.slice.upper, node.slice.step)]
            index: object = slice(*[unwrap(b) for b in bounds])
            key_params = [b for b in bounds if isinstance(b, Param)]
        else:
            key = self.eval(node.slice)
            index, key_params = unwrap(key), [key] if isinstance(key, Param) else []
        if isinstance(container, Undefined):
            raise self.undefined(container)
        value = unwrap(container)
        if not isinstance(value, (list, tuple, str, dict)):
            raise TemplateError(f"Cannot index a {type(value).__name__}")
        try:
            item = value[index]  # type: ignore[index,call-overload]
        except (IndexError, KeyError, TypeError, ValueError) as exc:
            raise TemplateError(f"Bad index in template expression: {exc!r}") from None
        if isinstance(container, Param):
            item_type = container.type if isinstance(index, slice) or isinstance(value, str) else container.element_type()
            return Param(item, item_type, container.name, container.secret)
        if key_params and not isinstance(item, (Param, Sql)):
            return Param(item, types.infer_type(item))
        return item


def render(
    template: str,
    values: Mapping[str, RequestValue] | None = None,
    *,
    secrets: SecretLookup | None = None,
    limits: Limits | None = None,
    prefix: str = "p",
) -> Rendered:
    """``template`` (a node's SQL, without the leading ``%`` line) rendered for ``values``.

    ``values`` are the request's params, fixed params already merged over them by the caller
    (a list for a repeated param). ``secrets`` answers ``tb_secret()``/``tb_var()`` by name
    (None if unknown); the renderer reads no environment itself. ``prefix`` names the
    placeholders (``{p_1:Int32}``…), so that nodes rendered apart can be put together.
    Raises TemplateError.
    """
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", prefix):
        raise ValueError(f"Bad placeholder prefix {prefix!r}")
    renderer = Renderer(values or {}, secrets, limits or Limits(), prefix)
    try:
        renderer.run(parse(template))
    except RecursionError:
        raise TemplateError("Template too complex: nested too deeply") from None
    except MemoryError:
        raise TemplateError("Template too complex: out of memory") from None
    return Rendered(
        "".join(renderer.out),
        renderer.parameters,
        renderer.types,
        frozenset(renderer.secret_names),
    )
