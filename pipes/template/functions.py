"""The functions a template may call: Tinybird's typed param functions and helpers, and a few
harmless builtins. Nothing else is callable.

Functions listed in ``NAME_FUNCTIONS`` receive their first argument as a ``Ref`` (the param's
name and its raw value), because ``String(country, 'US')`` needs the name ``country`` for its
declaration and its error messages, not only the value.
"""
from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING

from lib.tinybird_template.errors import TemplateError

from . import types
from .values import Param, Sql, Undefined, unwrap

if TYPE_CHECKING:
    from .render import Renderer


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


MISSING = _Missing()


@dataclass(frozen=True)
class Ref:
    """The first argument of a name-taking function: ``name`` is None when the argument was an
    expression rather than a bare name; ``raw`` is the request value (a string, or a list of
    strings for a repeated param), a value set in the template, or MISSING."""

    name: str | None
    raw: object

    def is_defined(self) -> bool:
        value = self.raw
        if isinstance(value, Param):
            value = value.value
        return not (value is MISSING or value is None or isinstance(value, Undefined) or value == "" or value == [])

    def label(self) -> str:
        return self.name or "value"


Function = Callable[..., object]

# Keyword arguments the typed functions accept: the ones that matter and the ones that only
# document the param (listed by /v0/pipes, ignored when rendering).
_TYPED_KWARGS = {"default", "description", "required", "example", "defined", "enum", "format", "examples"}

_IDENTIFIER_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
MAX_IDENTIFIER_CHARS = 256


def scalar_of(ref: Ref) -> object:
    """The request value of a scalar param: the last one when the param was repeated."""
    raw = ref.raw
    if isinstance(raw, Param):
        return raw.value
    if isinstance(raw, list):
        return raw[-1] if raw else MISSING
    return raw


def _check_kwargs(function: str, kwargs: Mapping[str, object]) -> None:
    for key in kwargs:
        if key not in _TYPED_KWARGS:
            raise TemplateError(f"{function}() got an unknown argument '{key}'")


def _missing_required(ref: Ref) -> TemplateError:
    return TemplateError(f"[Error] Missing required parameter: '{ref.label()}'", param=ref.name)


def typed(type_name: str) -> Function:
    ch_type = types.SCALAR_TYPES[type_name]

    def function(r: Renderer, ref: Ref, *args: object, **kwargs: object) -> object:
        _check_kwargs(type_name, kwargs)
        if len(args) > 3:
            raise TemplateError(f"{type_name}() takes at most 4 positional arguments")
        positional = dict(zip(("default", "description", "required"), args))
        for key in positional:
            if key in kwargs:
                raise TemplateError(f"{type_name}() got '{key}' twice")
        kwargs = {**kwargs, **positional}
        default = unwrap(kwargs.get("default"))
        if ref.is_defined():
            value = types.parse_scalar(scalar_of(ref), type_name, ref.name)
        else:
            if unwrap(kwargs.get("required")):
                raise _missing_required(ref)
            if kwargs.get("defined") is False:
                return None  # sql_and() leaves the condition out
            value = None if default is None else types.parse_scalar(default, type_name, ref.name)
        enum = unwrap(kwargs.get("enum"))
        if enum is not None and value is not None:
            allowed = [unwrap(item) for item in enum] if isinstance(enum, (list, tuple)) else None
            if allowed is None:
                raise TemplateError(f"{type_name}(): enum must be a list")
            if value not in allowed:
                shown = ", ".join(str(item) for item in allowed)
                raise TemplateError(
                    f"Invalid value '{value}' for parameter '{ref.label()}': it must be one of {shown}",
                    param=ref.name,
                )
        return Param(value, ch_type, ref.name, isinstance(ref.raw, Param) and ref.raw.secret)

    function.__name__ = type_name
    return function


def _array_items(raw: object, element: str, name: str | None) -> list[object]:
    if isinstance(raw, Param):
        raw = raw.value
    if isinstance(raw, str):
        items: list[object] = list(raw.split(","))
    elif isinstance(raw, (list, tuple)):
        items = [unwrap(item) for item in raw]
    else:
        items = [raw]
    if element != "String":
        items = [item.strip() if isinstance(item, str) else item for item in items]
    return [types.parse_scalar(item, element, name) for item in items]


def array(r: Renderer, ref: Ref, type_name: object = "String", *args: object, **kwargs: object) -> object:
    _check_kwargs("Array", kwargs)
    type_name = unwrap(type_name)
    if not isinstance(type_name, str) or type_name not in types.ARRAY_ELEMENT_TYPES:
        raise TemplateError(f"Array(): unknown element type {type_name!r}")
    if args:
        if "default" in kwargs or len(args) > 1:
            raise TemplateError("Array() takes (name, type, default)")
        kwargs = {**kwargs, "default": args[0]}
    element = "Boolean" if type_name == "Bool" else type_name
    ch_type = f"Array({types.ARRAY_ELEMENT_TYPES[type_name]})"
    if ref.is_defined():
        values = _array_items(ref.raw, element, ref.name)
    else:
        if unwrap(kwargs.get("required")):
            raise _missing_required(ref)
        if kwargs.get("defined") is False:
            return None
        default = unwrap(kwargs.get("default"))
        values = [] if default is None else _array_items(default, element, ref.name)
    enum = unwrap(kwargs.get("enum"))
    if isinstance(enum, (list, tuple)):
        allowed = [unwrap(item) for item in enum]
        for item in values:
            if item not in allowed:
                raise TemplateError(
                    f"Invalid value '{item}' for parameter '{ref.label()}': it must be one of "
                    + ", ".join(str(a) for a in allowed),
                    param=ref.name,
                )
    return Param(values, ch_type, ref.name)


def defined(r: Renderer, ref: Ref, *args: object) -> bool:
    if args:
        raise TemplateError("defined() takes one param name")
    return ref.is_defined()


def quote_identifier(name: object, param: str | None) -> str:
    text = unwrap(name)
    if not isinstance(text, str) or len(text) > MAX_IDENTIFIER_CHARS or not _IDENTIFIER_RE.match(text):
        where = f" for parameter '{param}'" if param else ""
        raise TemplateError(f"Invalid column name '{text}'{where}", param=param)
    return "`" + text.replace("\\", "\\\\").replace("`", "\\`") + "`"


def _qualified(name: object, param: str | None) -> str:
    text = unwrap(name)
    if isinstance(text, str) and "." in text:
        return ".".join(quote_identifier(part, param) for part in text.split("."))
    return quote_identifier(text, param)


def _ref_or_default(function: str, ref: Ref, default: object) -> object:
    if ref.is_defined():
        return scalar_of(ref) if not isinstance(ref.raw, (list, tuple)) else ref.raw
    default = unwrap(default)
    if default is None:
        raise TemplateError(
            f"{function}(): the parameter '{ref.label()}' is not defined and there is no default", param=ref.name
        )
    return default


def column(r: Renderer, ref: Ref, default: object = None) -> Sql:
    return Sql((_qualified(_ref_or_default("column", ref, default), ref.name),))


def columns(r: Renderer, ref: Ref, default: object = None) -> Sql:
    value = unwrap(_ref_or_default("columns", ref, default))
    names = value.split(",") if isinstance(value, str) else value
    if not isinstance(names, (list, tuple)) or not names:
        raise TemplateError(f"columns(): no columns in '{ref.label()}'", param=ref.name)
    quoted = []
    for name in names:
        name = unwrap(name)
        quoted.append(_qualified(name.strip() if isinstance(name, str) else name, ref.name))
    return Sql((", ".join(quoted),))


def symbol(r: Renderer, value: object, *args: object) -> Sql:
    param = value.name if isinstance(value, Param) else None
    return Sql((quote_identifier(value, param),))


def split_to_array(r: Renderer, ref: Ref, default: object = "", separator: object = ",") -> object:
    sep = unwrap(separator)
    if not isinstance(sep, str) or not sep:
        raise TemplateError("split_to_array(): the separator must be a non-empty string")
    if ref.is_defined():
        raw = ref.raw.value if isinstance(ref.raw, Param) else ref.raw
        tainted = ref.name is not None or isinstance(ref.raw, Param)
    else:
        raw = unwrap(default)
        tainted = ref.name is not None or isinstance(default, Param)
    if isinstance(raw, (list, tuple)):
        items = [str(unwrap(item)) for item in raw]
    elif raw is None or raw is MISSING:
        items = []
    else:
        items = [part.strip() for part in str(raw).split(sep)]
        items = [part for part in items if part]
    if tainted:
        return Param(items, "Array(String)", ref.name)
    return items


def sql_unescape(r: Renderer, value: object, chars: object = "%") -> object:
    """Identity here: Tinybird escapes LIKE wildcards when it writes a String into the SQL text
    and this undoes it; Panes binds values as query parameters, which ClickHouse never
    unescapes or escapes, so ``%`` and ``_`` already reach LIKE as the caller sent them."""
    return value


_SQL_AND_OPS = {
    "in": "IN",
    "not_in": "NOT IN",
    "eq": "=",
    "neq": "!=",
    "gt": ">",
    "gte": ">=",
    "lt": "<",
    "lte": "<=",
}


def sql_and(r: Renderer, *args: object, **conditions: object) -> Sql:
    if args:
        raise TemplateError("sql_and() takes only column__operator=value arguments")
    parts: list[str | Param] = []
    for key, value in conditions.items():
        column_name, sep, op = key.rpartition("__")
        if not sep or op not in _SQL_AND_OPS or not column_name:
            raise TemplateError(
                f"sql_and(): '{key}' must be column__operator with operator one of " + ", ".join(_SQL_AND_OPS)
            )
        if value is None or isinstance(value, Undefined) or (isinstance(value, Param) and value.value is None):
            continue
        if parts:
            parts.append(" AND ")
        parts.append(f"{quote_identifier(column_name, None)} {_SQL_AND_OPS[op]} ")
        if isinstance(value, Param):
            parts.append(value)
        else:
            parts.append(types.literal(value))
    return Sql(tuple(parts) if parts else ("1",))


# --- dates -----------------------------------------------------------------------------------

_DEFAULT_FORMAT = "%Y-%m-%d %H:%M:%S"


def _as_datetime(value: object, formats: Sequence[str]) -> datetime | None:
    value = unwrap(value)
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    if not isinstance(value, str):
        return None
    for fmt in formats:
        try:
            return datetime.strptime(value, fmt).replace(tzinfo=None)
        except ValueError:
            pass
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).replace(tzinfo=None)
    except ValueError:
        return None


def _date_diff(unit_seconds: int, name: str) -> Function:
    def function(
        r: Renderer,
        date_1: object,
        date_2: object,
        date_format: object = _DEFAULT_FORMAT,
        backup_date_format: object = None,
        none_if_error: object = False,
    ) -> object:
        formats = [str(unwrap(f)) for f in (date_format, backup_date_format) if unwrap(f)]
        first, second = _as_datetime(date_1, formats), _as_datetime(date_2, formats)
        if first is None or second is None:
            if unwrap(none_if_error):
                return None
            bad = date_1 if first is None else date_2
            raise TemplateError(f"{name}(): '{unwrap(bad)}' is not a date in the format {formats[0]}")
        result = int(abs((first - second).total_seconds()) // unit_seconds)
        if isinstance(date_1, Param) or isinstance(date_2, Param):
            return Param(result, "Int64")
        return result

    function.__name__ = name
    return function


def day_diff(r: Renderer, date_1: object, date_2: object) -> object:
    first, second = _as_datetime(date_1, ["%Y-%m-%d"]), _as_datetime(date_2, ["%Y-%m-%d"])
    if first is None or second is None:
        bad = date_1 if first is None else date_2
        raise TemplateError(f"day_diff(): '{unwrap(bad)}' is not a date")
    result = abs((first.date() - second.date()).days)
    if isinstance(date_1, Param) or isinstance(date_2, Param):
        return Param(result, "Int64")
    return result


# --- errors and secrets ----------------------------------------------------------------------


def _status(code: object) -> int:
    code = unwrap(code)
    if isinstance(code, int) and not isinstance(code, bool) and 400 <= code <= 599:
        return code
    return 400


def error(r: Renderer, message: object = "Error", code: object = 400) -> object:
    raise TemplateError(str(unwrap(message)), status=_status(code))


def custom_error(r: Renderer, payload: object, code: object = 400) -> object:
    payload = unwrap(payload)
    if not isinstance(payload, dict):
        raise TemplateError(str(payload), status=_status(code))
    body = {str(key): unwrap(value) for key, value in payload.items()}
    message = body.get("error")
    text = str(message) if message is not None else json.dumps(body, default=str)
    raise TemplateError(text, status=_status(code), payload=body)


def _secret(function: str) -> Function:
    def lookup(r: Renderer, name: object, default: object = MISSING) -> Param:
        key = unwrap(name)
        if not isinstance(key, str):
            raise TemplateError(f"{function}() takes the name of the secret as a string")
        value = r.secrets(key) if r.secrets is not None else None
        if value is None:
            if default is MISSING:
                raise TemplateError(f"Cannot access secret '{key}'. Check it is defined.")
            fallback = unwrap(default)
            value = None if fallback is None else str(fallback)
        return Param(value, "String", None, secret=True)

    lookup.__name__ = function
    return lookup


# --- builtins --------------------------------------------------------------------------------


def _builtin(python: Callable[..., object]) -> Function:
    def function(r: Renderer, *args: object) -> object:
        return r.derive(python, args)

    function.__name__ = getattr(python, "__name__", "builtin")
    return function


def _scalar_str(value: object) -> str:
    # str() of a list or dict could be made enormous by one call; scalars only
    if isinstance(value, (list, tuple, dict, range)):
        raise TemplateError("str() takes a string, a number or a date")
    return str(value)


def _sum(values: object) -> object:
    # numbers only: sum() of lists concatenates them, quadratically
    if not isinstance(values, (list, tuple, range)) or not all(
        isinstance(v, (int, float)) and not isinstance(v, bool) for v in values
    ):
        raise TemplateError("sum() takes a list of numbers")
    return sum(values)


def _range(r: Renderer, *args: object) -> range:
    bounds = [b for b in (unwrap(a) for a in args) if isinstance(b, int) and not isinstance(b, bool)]
    if len(bounds) != len(args) or not 1 <= len(bounds) <= 3:
        raise TemplateError("range() takes one to three integers")
    return range(*bounds)


FUNCTIONS: dict[str, Function] = {
    **{name: typed(name) for name in types.SCALAR_TYPES},
    "Array": array,
    "defined": defined,
    "column": column,
    "columns": columns,
    "symbol": symbol,
    "split_to_array": split_to_array,
    "sql_unescape": sql_unescape,
    "sql_and": sql_and,
    "day_diff": day_diff,
    "date_diff_in_seconds": _date_diff(1, "date_diff_in_seconds"),
    "date_diff_in_minutes": _date_diff(60, "date_diff_in_minutes"),
    "date_diff_in_hours": _date_diff(3600, "date_diff_in_hours"),
    "date_diff_in_days": _date_diff(86400, "date_diff_in_days"),
    "error": error,
    "custom_error": custom_error,
    "tb_secret": _secret("tb_secret"),
    "tb_var": _secret("tb_var"),
    "len": _builtin(len),
    "min": _builtin(min),
    "max": _builtin(max),
    "abs": _builtin(abs),
    "round": _builtin(round),
    "int": _builtin(int),
    "float": _builtin(float),
    "str": _builtin(_scalar_str),
    "bool": _builtin(bool),
    "sum": _builtin(_sum),
    "range": _range,
}

# lib.tinybird_template.vocabulary names exactly these (a test says so), and says which take a
# param name first (NAME_FUNCTIONS, see Ref) and which are typed.
