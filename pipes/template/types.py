"""Request values (strings) -> typed Python values, and Python values -> ClickHouse literals.

Each Tinybird type function (``Int32(x)``, ``DateTime(d)``…) validates the request value here
with the ranges of the ClickHouse type it binds as. Parsing is deliberately strict (ASCII digits
only, no ``1_000``, no Unicode digits, no ``nan``): what is accepted is what ClickHouse reads the
same way.
"""
from __future__ import annotations

import math
import re
from datetime import date, datetime

from lib.tinybird_template.errors import TemplateError
from lib.tinybird_template.vocabulary import FLOAT_TYPES, INT_RANGES, SCALAR_TYPES

# Element types an Array() may name, by the spelling Tinybird's docs use.
ARRAY_ELEMENT_TYPES: dict[str, str] = {**SCALAR_TYPES, "Bool": "Bool"}

_INT_RE = re.compile(r"[+-]?[0-9]+")
_FLOAT_RE = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_DATE_RE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
_DATETIME_RE = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})"
    r"(?:[ T]([0-9]{2}):([0-9]{2})(?::([0-9]{2})(?:\.([0-9]{1,9}))?)?Z?)?"
)
_TRUE = {"true", "1"}
_FALSE = {"false", "0"}

DATE_MIN, DATE_MAX = date(1970, 1, 1), date(2149, 6, 6)
DATETIME_MIN, DATETIME_MAX = datetime(1970, 1, 1), datetime(2106, 2, 7, 6, 28, 15)
DATETIME64_MIN, DATETIME64_MAX = datetime(1900, 1, 1), datetime(2299, 12, 31, 23, 59, 59, 999999)


def invalid(value: object, type_name: str, param: str | None) -> TemplateError:
    shown = value if isinstance(value, str) else repr(value)
    if param is None:
        return TemplateError(f"Error validating '{shown}' to type {type_name}")
    return TemplateError(f"Error validating '{shown}' to type {type_name} for parameter '{param}'", param=param)


def parse_int(value: object, type_name: str, param: str | None) -> int:
    if isinstance(value, bool):
        number = int(value)
    elif isinstance(value, int):
        number = value
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    elif isinstance(value, str) and _INT_RE.fullmatch(value) and len(value) <= 90:
        number = int(value)
    else:
        raise invalid(value, type_name, param)
    low, high = INT_RANGES[type_name]
    if not low <= number <= high:
        raise TemplateError(
            f"Error validating '{value}' to type {type_name}: out of range [{low}, {high}]"
            + (f" for parameter '{param}'" if param else ""),
            param=param,
        )
    return number


def parse_float(value: object, type_name: str, param: str | None) -> float:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        number = float(value)
    elif isinstance(value, str) and _FLOAT_RE.fullmatch(value) and len(value) <= 400:
        number = float(value)
    else:
        raise invalid(value, type_name, param)
    if not math.isfinite(number) or abs(number) > FLOAT_TYPES[type_name]:
        raise invalid(value, type_name, param)
    return number


def parse_bool(value: object, param: str | None) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        lowered = value.lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
    raise invalid(value, "Boolean", param)


def parse_date(value: object, param: str | None) -> date:
    if isinstance(value, datetime):
        value = value.date()
    if not isinstance(value, date):
        match = _DATE_RE.fullmatch(value) if isinstance(value, str) else None
        if match is None:
            raise invalid(value, "Date", param)
        try:
            value = date(int(match[1]), int(match[2]), int(match[3]))
        except ValueError:
            raise invalid(match[0], "Date", param) from None
    if not DATE_MIN <= value <= DATE_MAX:
        raise invalid(value.isoformat(), "Date", param)
    return value


def parse_datetime(value: object, type_name: str, param: str | None) -> datetime:
    """``YYYY-MM-DD[( |T)hh:mm[:ss[.fff…]]][Z]``; a date alone is its midnight."""
    if isinstance(value, datetime):
        moment = value.replace(tzinfo=None)
    elif isinstance(value, date):
        moment = datetime(value.year, value.month, value.day)
    else:
        match = _DATETIME_RE.fullmatch(value) if isinstance(value, str) else None
        if match is None:
            raise invalid(value, type_name, param)
        year, month, day, hour, minute, second, fraction = match.groups()
        try:
            moment = datetime(
                int(year),
                int(month),
                int(day),
                int(hour or 0),
                int(minute or 0),
                int(second or 0),
                int((fraction or "0")[:6].ljust(6, "0")),
            )
        except ValueError:
            raise invalid(value, type_name, param) from None
    if type_name == "DateTime":
        if moment.microsecond:
            raise invalid(value if isinstance(value, str) else moment.isoformat(" "), type_name, param)
        low, high = DATETIME_MIN, DATETIME_MAX
    else:
        low, high = DATETIME64_MIN, DATETIME64_MAX
    if not low <= moment <= high:
        raise invalid(value if isinstance(value, str) else moment.isoformat(" "), type_name, param)
    return moment


def parse_scalar(value: object, type_name: str, param: str | None) -> object:
    """``value`` (a request string, or a default from the template) as a Python value of the
    Tinybird type ``type_name``; TemplateError naming ``param`` if it is not one."""
    if type_name in INT_RANGES:
        return parse_int(value, type_name, param)
    if type_name in FLOAT_TYPES:
        return parse_float(value, type_name, param)
    if type_name in ("Boolean", "Bool"):
        return parse_bool(value, param)
    if type_name == "Date":
        return parse_date(value, param)
    if type_name in ("DateTime", "DateTime64"):
        return parse_datetime(value, type_name, param)
    if type_name == "String":
        if isinstance(value, str):
            return value
        if isinstance(value, (bool, int, float)):
            return str(value)
        raise invalid(value, type_name, param)
    raise TemplateError(f"Unknown type '{type_name}'")


# --- ClickHouse literals -------------------------------------------------------------------

_STRING_ESCAPES = {
    "\\": "\\\\",
    "'": "\\'",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
    "\0": "\\0",
    "\b": "\\b",
    "\f": "\\f",
    "\a": "\\a",
    "\v": "\\v",
}


def quote_string(text: str) -> str:
    """A ClickHouse string literal for ``text``: backslash escapes for the quote, the backslash
    and every control character, so the literal is one line and ends where it should."""
    out = []
    for ch in text:
        escaped = _STRING_ESCAPES.get(ch)
        if escaped is not None:
            out.append(escaped)
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\x{ord(ch):02X}")
        else:
            out.append(ch)
    return "'" + "".join(out) + "'"


def literal(value: object) -> str:
    """A ClickHouse literal for a constant of the template itself (never for a request value)."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        return quote_string(value)
    if isinstance(value, datetime):
        return quote_string(value.isoformat(" "))
    if isinstance(value, date):
        return quote_string(value.isoformat())
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(literal(item) for item in value) + "]"
    raise TemplateError(f"Cannot write a {type(value).__name__} value into SQL")


def infer_type(value: object) -> str:
    """The ClickHouse type a computed value binds as (the result of arithmetic on params)."""
    if isinstance(value, bool):
        return "Bool"
    if isinstance(value, int):
        for name in ("Int64", "Int128", "Int256"):
            low, high = INT_RANGES[name]
            if low <= value <= high:
                return name
        if 0 <= value <= INT_RANGES["UInt256"][1]:
            return "UInt256"
        raise TemplateError(f"The number {value} is too large for ClickHouse")
    if isinstance(value, float):
        return "Float64"
    if isinstance(value, str):
        return "String"
    if isinstance(value, datetime):
        return "DateTime64(6)" if value.microsecond else "DateTime"
    if isinstance(value, date):
        return "Date"
    raise TemplateError(f"Cannot bind a {type(value).__name__} value as a query parameter")


_ESCAPED_FORMAT = {"\\": "\\\\", "\n": "\\n", "\t": "\\t", "\r": "\\r", "\0": "\\0", "\b": "\\b", "\f": "\\f"}


def parameter_text(value: object, ch_type: str) -> str:
    """``value`` as the text ClickHouse parses for a ``{name:ch_type}`` query parameter (the
    HTTP interface's ``param_<name>``, chDB's ``params=``): scalars in the Escaped (TSV) format,
    arrays as their quoted literal."""
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(_array_item(item) for item in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.isoformat(" ", "microseconds" if ch_type.startswith("DateTime64") else "seconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return repr(value)
    text = str(value)
    return "".join(_ESCAPED_FORMAT.get(ch, ch) for ch in text)


def _array_item(value: object) -> str:
    if isinstance(value, datetime):
        return quote_string(value.isoformat(" ", "microseconds" if value.microsecond else "seconds"))
    return literal(value)
