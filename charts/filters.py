"""Dashboard filters: which pipe params a viewer may set, and parsing their values from a URL.

A Panes chart lists the params viewers may set in ``Chart.filter_params`` (admin-configured). What
a page *offers* is narrower: a param that is one of the chart's tenant params, or that the
tenant's filter rules fix (tenant-wide, or for that chart's pipe), is never offered, whatever the
admin typed. Those values ride in the token's ``fixed_params`` (tokens.py fixes a tenant-wide rule
on every param a chart declares) and the chart host applies them over the query string anyway;
refusing them here as well means the page never even forwards them.

Values come from the query string of the dashboard, embed and frame URLs. Only offered params are
kept; anything else is dropped and reported as ignored. Dates must be ``YYYY-MM-DD``.

Clicks: a chart may drill into a detail pipe and may set a cross-filter param for the other charts
on its page. Both follow the same rule as the filter bar: a param that is a tenant param, or that
the tenant's rules fix, is never set by a click (``drill_offered``, ``cross_filter_of``). A page
also reads ``period`` (a rolling preset, resolved here into date_from/date_to) and ``compare``
(a comparison range the frames fetch as well), both only when it offers the date range.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from . import periods, tokens
from .fields import PARAM_NAME_RE
from .models import Chart, TenantFilterRule

DATE_FROM, DATE_TO = "date_from", "date_to"
PERIOD, COMPARE = "period", "compare"
MAX_VALUE_LENGTH = 200
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

# Query-string keys with a meaning of their own on Panes pages: never pipe params, never reported.
PRESENTATION_KEYS = frozenset({"theme", "bordered", "titled", "controls", "autosize", "locale"})
# Keys the chart host gives a meaning of their own; a filter can never be called that.
HOST_RESERVED = frozenset({"token", "q", "format"})
# Keys the page reads for its date range: never pipe params either.
PAGE_KEYS = frozenset({PERIOD, COMPARE})


def is_date_param(name: str) -> bool:
    """date_from, date_to, and any param named date_* or *_date is edited as a date."""
    return name == "date" or name.startswith("date_") or name.endswith("_date")


def label_for(name: str) -> str:
    if name == DATE_FROM:
        return _("From")
    if name == DATE_TO:
        return _("To")
    if name == COMPARE:
        return _("Comparison")
    if name == PERIOD:
        return _("Period")
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


def drill_params(chart: Chart) -> tuple[str, ...]:
    """The params the chart's clicks set, in drill order; none if the stored value no longer validates."""
    try:
        return chart.drill_params.validated()
    except ValidationError:
        return ()


def chart_spec(chart: Chart) -> tokens.ChartSpec:
    """What minting knows of ``chart``: the one translation, for tokens and for the page's offers."""
    clicks_drill = chart.clickable and bool(drill_params(chart))
    return tokens.ChartSpec(
        key=chart.pk,
        resource=chart.scope_resource,
        tenant_params=chart.required_tenant_params,
        shared=chart.is_shared,
        filter_params=declared_params(chart),
        detail_resource=chart.detail_resource if clicks_drill else None,
        drill_params=drill_params(chart),
    )


def drill_offered(chart: Chart, rules: Iterable[TenantFilterRule]) -> bool:
    """Whether the page and the frame offer ``chart``'s drill-through to a tenant with ``rules``:
    decided by tokens.drill_offered, as minting decides whether the detail pipe gets a scope."""
    return tokens.drill_offered(chart_spec(chart), [r.spec(typed=False) for r in rules])


def cross_filter_of(chart: Chart, rules: Iterable[TenantFilterRule]) -> str:
    """The param a click on ``chart`` sets for the other charts, or "": never a tenant param, a
    param the rules fix for its pipe, or a key with a meaning of its own."""
    name = chart.cross_filter_param
    if not name or not chart.clickable or not PARAM_NAME_RE.fullmatch(name):
        return ""
    specs = [r.spec(typed=False) for r in rules]
    fixed, _ = tokens.fixed_params_for(
        chart.scope_resource, chart.required_tenant_params, specs, filter_params=(*declared_params(chart), name)
    )
    reserved = set(chart.required_tenant_params) | HOST_RESERVED | PRESENTATION_KEYS | PAGE_KEYS | set(fixed)
    return "" if name in reserved else name


def excluded_params(chart: Chart, rules: Iterable[TenantFilterRule]) -> set[str]:
    """Params a viewer may never set on ``chart``: its tenant params, the keys with a meaning of
    their own, and every param a token fixes for its pipe, as tokens.fixed_params_for decides it
    (the tenant's rules for that pipe, and tenant-wide rules on a param the chart declares)."""
    # Only which params are fixed matters here, not their typed values.
    specs = [r.spec(typed=False) for r in rules]
    fixed, _ = tokens.fixed_params_for(
        chart.scope_resource, chart.required_tenant_params, specs, filter_params=declared_params(chart)
    )
    return set(chart.required_tenant_params) | HOST_RESERVED | PRESENTATION_KEYS | PAGE_KEYS | set(fixed)


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


def page_offers(charts: Iterable[Chart], rules: Sequence[TenantFilterRule]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(offered params, cross-filter params) of a page of ``charts`` for a tenant with ``rules``,
    as the grid page decides them (charts.pages): a report subscription keeps only these."""
    charts = list(charts)
    cross_filters = tuple(dict.fromkeys(name for chart in charts if (name := cross_filter_of(chart, rules))))
    offered = offered_params([*(chart_params(chart, rules) for chart in charts), cross_filters])
    return offered, cross_filters


@dataclass
class Filters:
    """Parsed filter values: the valid ones, the errors (param -> message), the ignored keys.

    ``period`` is the preset the date range was resolved from ("" for dates typed or none),
    ``compare`` the comparison key ("" none); ``cross_filters`` are the offered params that charts
    on the page set by a click: they show as removable chips, not as fields.
    """

    offered: tuple[str, ...] = ()
    values: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    ignored: tuple[str, ...] = ()
    period: str = ""
    compare: str = ""
    cross_filters: tuple[str, ...] = ()

    def for_chart(self, params: Iterable[str]) -> dict[str, str]:
        return {name: self.values[name] for name in params if name in self.values}

    @property
    def offers_dates(self) -> bool:
        return DATE_FROM in self.offered and DATE_TO in self.offered

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
            if name not in self.cross_filters
        ]

    @property
    def chips(self) -> list[Field]:
        """The cross-filters set, as the chips that remove them."""
        return [
            Field(name=name, label=label_for(name), kind="chip", value=self.values[name])
            for name in self.cross_filters
            if name in self.values
        ]

    @property
    def error_messages(self) -> list[str]:
        return [_("%(label)s: %(message)s") % {"label": label_for(name), "message": message} for name, message in self.errors.items()]


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
        return _("use a date written YYYY-MM-DD, e.g. 2026-03-31.")
    try:
        date.fromisoformat(text)
    except ValueError:
        return _("%(date)s is not a real date.") % {"date": text}
    return None


def parse(
    query: Mapping, offered: Sequence[str], *, cross_filters: Sequence[str] = (), today: date | None = None
) -> Filters:
    """The filter values in ``query`` for the ``offered`` params.

    Empty values mean "no filter". Keys that are not offered are dropped (and listed in
    ``ignored`` unless they are presentation switches such as ``theme``); a bad value is dropped
    with an error message for its param. When date_from and date_to are both offered,
    ``period=<preset>`` sets them (over any dates in the URL) for ``today`` (the server's local
    date unless given) and ``compare=<key>`` is kept; an unknown key is an error like a bad date.
    ``cross_filters`` are offered params set by clicks (see Filters).
    """
    offered = tuple(offered)
    values: dict[str, str] = {}
    errors: dict[str, str] = {}
    for name in offered:
        text = _last(query, name).strip()
        if not text:
            continue
        if len(text) > MAX_VALUE_LENGTH:
            errors[name] = ngettext("at most %(count)d character.", "at most %(count)d characters.", MAX_VALUE_LENGTH) % {
                "count": MAX_VALUE_LENGTH
            }
            continue
        if any(ord(c) < 32 for c in text):
            errors[name] = _("control characters are not allowed.")
            continue
        if is_date_param(name):
            problem = check_date(text)
            if problem:
                errors[name] = problem
                continue
        values[name] = text
    period = compare = ""
    dates = DATE_FROM in offered and DATE_TO in offered
    if dates:
        period, compare = _period(query, values, errors, today), _compare(query, errors)
    if DATE_FROM in values and DATE_TO in values and values[DATE_FROM] > values[DATE_TO]:
        errors[DATE_TO] = _("must be on or after the start date.")
        del values[DATE_TO]
    page_keys = PAGE_KEYS if dates else frozenset()
    ignored = tuple(
        sorted(k for k in query.keys() if k not in offered and k not in PRESENTATION_KEYS and k not in page_keys)
    )
    chips = tuple(name for name in cross_filters if name in offered)
    return Filters(
        offered=offered, values=values, errors=errors, ignored=ignored, period=period, compare=compare, cross_filters=chips
    )


def _period(query: Mapping, values: dict[str, str], errors: dict[str, str], today: date | None) -> str:
    """The preset in ``query`` ("" none), its range written into ``values``; an error if unknown."""
    key = _choice(query, PERIOD, periods.PRESETS, errors)
    if not key:
        return ""
    start, end = periods.preset_range(key, today or timezone.localdate())
    values[DATE_FROM], values[DATE_TO] = start.isoformat(), end.isoformat()
    errors.pop(DATE_FROM, None)  # the period wins over dates typed in the URL, bad ones included
    errors.pop(DATE_TO, None)
    return key


def _compare(query: Mapping, errors: dict[str, str]) -> str:
    return _choice(query, COMPARE, periods.COMPARISONS, errors)


def _choice(query: Mapping, name: str, choices: Mapping[str, str], errors: dict[str, str]) -> str:
    """The key of ``choices`` in ``query``'s ``name`` ("" none); an error naming the labels if unknown."""
    key = _last(query, name).strip()
    if key and key not in choices:
        errors[name] = _("choose one of %(labels)s.") % {"labels": ", ".join(_(label) for label in choices.values())}
        return ""
    return key
