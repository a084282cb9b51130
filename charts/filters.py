"""Dashboard filters: which pipe params a viewer may set, and parsing their values from a URL.

A Panes chart lists the params viewers may set in ``Chart.filter_params`` (admin-configured). What
a page *offers* is narrower: a param that is one of the chart's tenant params, or that the
tenant's filter rules fix (tenant-wide, or for that chart's pipe), is never offered, whatever the
admin typed. Those values ride in the token's ``fixed_params`` (tokens.py fixes a tenant-wide rule
on every param a chart declares) and the chart host applies them over the query string anyway;
refusing them here as well means the page never even forwards them.

Values come from the query string of the dashboard, embed and frame URLs. Only offered params are
kept; anything else is dropped and reported as ignored. Dates must be ``YYYY-MM-DD``.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from django.core.exceptions import ValidationError

from . import tokens
from .models import Chart, TenantFilterRule

DATE_FROM, DATE_TO = "date_from", "date_to"
MAX_VALUE_LENGTH = 200
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

# Query-string keys with a meaning of their own on Panes pages: never pipe params, never reported.
PRESENTATION_KEYS = frozenset({"theme", "bordered", "titled", "controls", "autosize"})
# Keys the chart host gives a meaning of their own; a filter can never be called that.
HOST_RESERVED = frozenset({"token", "q", "format"})


def is_date_param(name: str) -> bool:
    """date_from, date_to, and any param named date_* or *_date is edited as a date."""
    return name == "date" or name.startswith("date_") or name.endswith("_date")


def label_for(name: str) -> str:
    if name == DATE_FROM:
        return "From"
    if name == DATE_TO:
        return "To"
    text = name.replace("_", " ")
    return text[:1].upper() + text[1:]


@dataclass(frozen=True)
class Field:
    """One control of the filter bar."""

    name: str
    label: str
    kind: str  # "date" | "text"
    value: str = ""
    error: str = ""


def declared_params(chart: Chart) -> tuple[str, ...]:
    """The params the admin listed in ``chart.filter_params``; none if the stored value no longer
    validates."""
    try:
        return chart.filter_params.validated()
    except ValidationError:
        return ()


def excluded_params(chart: Chart, rules: Iterable[TenantFilterRule]) -> set[str]:
    """Params a viewer may never set on ``chart``: its tenant params, the keys with a meaning of
    their own, and every param a token fixes for its pipe, as tokens.fixed_params_for decides it
    (the tenant's rules for that pipe, and tenant-wide rules on a param the chart declares)."""
    # Only which params are fixed matters here, not their typed values.
    specs = [r.spec(typed=False) for r in rules]
    fixed, _ = tokens.fixed_params_for(
        chart.scope_resource, chart.required_tenant_params, specs, filter_params=declared_params(chart)
    )
    return set(chart.required_tenant_params) | HOST_RESERVED | PRESENTATION_KEYS | set(fixed)


def chart_params(chart: Chart, rules: Sequence[TenantFilterRule]) -> tuple[str, ...]:
    """The params a viewer may set on one chart (none for Tinybird-hosted charts, which Panes
    does not fetch for)."""
    if chart.kind != Chart.Kind.PANES:
        return ()
    excluded = excluded_params(chart, rules)
    return tuple(name for name in declared_params(chart) if name not in excluded)


def offered_params(per_chart: Iterable[Sequence[str]]) -> tuple[str, ...]:
    """The union of the charts' params: the date range first, then the others as they appear."""
    seen: dict[str, None] = {}
    for names in per_chart:
        seen.update(dict.fromkeys(names))
    dates = [name for name in (DATE_FROM, DATE_TO) if name in seen]
    return tuple(dates + [name for name in seen if name not in dates])


@dataclass
class Filters:
    """Parsed filter values: the valid ones, the errors (param -> message), the ignored keys."""

    offered: tuple[str, ...] = ()
    values: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    ignored: tuple[str, ...] = ()

    def for_chart(self, params: Iterable[str]) -> dict[str, str]:
        return {name: self.values[name] for name in params if name in self.values}

    @property
    def fields(self) -> list[Field]:
        return [
            Field(
                name=name,
                label=label_for(name),
                kind="date" if is_date_param(name) else "text",
                value=self.values.get(name, ""),
                error=self.errors.get(name, ""),
            )
            for name in self.offered
        ]

    @property
    def error_messages(self) -> list[str]:
        return [f"{label_for(name)}: {message}" for name, message in self.errors.items()]


def _last(query: Mapping, key: str) -> str:
    """The last value of ``key`` in a QueryDict or a plain mapping of str or list values."""
    if hasattr(query, "getlist"):
        values = query.getlist(key)
    else:
        value = query.get(key)
        values = value if isinstance(value, (list, tuple)) else [value]
    values = [v for v in values if v is not None]
    return str(values[-1]) if values else ""


def check_date(text: str) -> str | None:
    """An error message for a value that is not a real YYYY-MM-DD date, else None."""
    if not _DATE_RE.match(text):
        return "use a date written YYYY-MM-DD, e.g. 2026-03-31."
    try:
        date.fromisoformat(text)
    except ValueError:
        return f"{text} is not a real date."
    return None


def parse(query: Mapping, offered: Sequence[str]) -> Filters:
    """The filter values in ``query`` for the ``offered`` params.

    Empty values mean "no filter". Keys that are not offered are dropped (and listed in
    ``ignored`` unless they are presentation switches such as ``theme``); a bad value is dropped
    with an error message for its param.
    """
    offered = tuple(offered)
    values: dict[str, str] = {}
    errors: dict[str, str] = {}
    for name in offered:
        text = _last(query, name).strip()
        if not text:
            continue
        if len(text) > MAX_VALUE_LENGTH:
            errors[name] = f"at most {MAX_VALUE_LENGTH} characters."
            continue
        if any(ord(c) < 32 for c in text):
            errors[name] = "control characters are not allowed."
            continue
        if is_date_param(name):
            problem = check_date(text)
            if problem:
                errors[name] = problem
                continue
        values[name] = text
    if DATE_FROM in values and DATE_TO in values and values[DATE_FROM] > values[DATE_TO]:
        errors[DATE_TO] = "must be on or after the start date."
        del values[DATE_TO]
    ignored = tuple(sorted(k for k in query.keys() if k not in offered and k not in PRESENTATION_KEYS))
    return Filters(offered=offered, values=values, errors=errors, ignored=ignored)
