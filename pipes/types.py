"""The built-in host's value types, shared by pipe params and datasource columns.

Names follow Tinybird's param types (String, Int, Float, Date, DateTime, Boolean). Values arrive
as text (query strings, CSV) or as JSON scalars (token fixed_params, NDJSON, rows generated in
Python); ``coerce`` turns either into the Python value that is bound or stored, or raises
ValueError with a message a person understands (never longer than a short excerpt of the value).
"""
from __future__ import annotations

import math
import re
from datetime import date, datetime, timezone
from typing import TypeAlias

from django.db import models

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
# Query-string names with a meaning of their own; a pipe may not declare them.
RESERVED_PARAMS = frozenset({"token", "q", "format"})

_INT_RE = re.compile(r"^[+-]?\d+$")
_FLOAT_RE = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATETIME_RE = re.compile(r"^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:?\d{2})?$")
_TRUE = frozenset({"true", "1"})
_FALSE = frozenset({"false", "0"})


class ParamType(models.TextChoices):
    STRING = "String", "String"
    INT = "Int", "Int"
    FLOAT = "Float", "Float"
    DATE = "Date", "Date"
    DATETIME = "DateTime", "DateTime"
    BOOLEAN = "Boolean", "Boolean"


TYPE_NAMES = tuple(ParamType.values)

# What ``coerce`` returns: the Python value of one of TYPE_NAMES, as bound or stored (None is NULL).
Value: TypeAlias = str | int | float | bool | date | datetime


def _excerpt(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "...'"


def coerce(value: object, kind: str) -> Value:
    """``value`` as the Python value of type ``kind``; ValueError if it is not one."""
    bad = ValueError(f"{_excerpt(value)} is not a valid {kind}")
    if kind == ParamType.STRING:
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, (str, int, float)):
            return str(value)
        raise bad
    if kind == ParamType.INT:
        if isinstance(value, bool):
            raise bad
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, str) and _INT_RE.match(value.strip()):
            value = int(value.strip())
        if isinstance(value, int) and INT64_MIN <= value <= INT64_MAX:
            return value
        raise bad
    if kind == ParamType.FLOAT:
        if isinstance(value, bool):
            raise bad
        if isinstance(value, str) and _FLOAT_RE.match(value.strip()):
            value = float(value.strip())
        if isinstance(value, (int, float)) and math.isfinite(value):
            return float(value)
        raise bad
    if kind == ParamType.DATE:
        if isinstance(value, datetime):
            raise bad
        if isinstance(value, date):
            return value
        if isinstance(value, str) and _DATE_RE.match(value.strip()):
            try:
                return date.fromisoformat(value.strip())
            except ValueError:
                raise bad from None
        raise bad
    if kind == ParamType.DATETIME:
        return _datetime(value, bad)
    if kind == ParamType.BOOLEAN:
        if isinstance(value, bool):
            return value
        if isinstance(value, int) and value in (0, 1):
            return bool(value)
        if isinstance(value, str):
            text = value.strip().lower()
            if text in _TRUE:
                return True
            if text in _FALSE:
                return False
        raise bad
    raise ValueError(f"unknown type {kind!r}; use one of {', '.join(TYPE_NAMES)}")


def _datetime(value: object, bad: ValueError) -> datetime:
    """A naive UTC datetime (Tinybird's DateTime has no zone; aware values are moved to UTC)."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime(value.year, value.month, value.day)
    elif isinstance(value, str):
        text = value.strip()
        if _DATE_RE.match(text):
            text += " 00:00:00"
        if not _DATETIME_RE.match(text):
            raise bad
        try:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise bad from None
    else:
        raise bad
    if moment.tzinfo is not None:
        try:
            moment = moment.astimezone(timezone.utc).replace(tzinfo=None)
        except OverflowError:  # e.g. 9999-12-31 23:59:59-01:00 is past year 9999 in UTC
            raise bad from None
    return moment


def coerce_param(name: str, value: object, kind: str) -> Value:
    """Like ``coerce``, with the param named in the message (for a 400 or a form error)."""
    try:
        return coerce(value, kind)
    except ValueError as exc:
        raise ValueError(f"param {name}: {exc}") from None
