"""The filter bar's date presets (rolling ranges such as "Last 7 days") and comparison ranges.

A page's ``period=<preset>`` is resolved here with the server's local date;
static/charts/periods.js applies the same rules with the viewer's local date. Both pass the cases
of tests/fixtures/periods.json, so the two cannot drift. Every range is inclusive at both ends.
"""
from __future__ import annotations

from datetime import date, timedelta

from django.utils.translation import gettext_noop as _

# English labels (those of periods.js), marked for the catalogue: shown through gettext(label).
PRESETS: dict[str, str] = {
    "last_7_days": _("Last 7 days"),
    "last_30_days": _("Last 30 days"),
    "last_90_days": _("Last 90 days"),
    "month_to_date": _("Month to date"),
    "year_to_date": _("Year to date"),
    "previous_month": _("Previous month"),
}

COMPARISONS: dict[str, str] = {
    "previous_period": _("Previous period"),
    "previous_year": _("Same period last year"),
}

_ROLLING_DAYS = {"last_7_days": 7, "last_30_days": 30, "last_90_days": 90}


def _shift(day: date, days: int) -> date:
    try:
        return day + timedelta(days=days)
    except OverflowError as error:  # before 0001-01-01: as out of range as a bad date
        raise ValueError(f"{day.isoformat()} shifted by {days} days is out of range") from error


def _year_before(day: date) -> date:
    # The year before a Feb 29 has no Feb 29: its Feb 28 is the same place in the year.
    if day.month == 2 and day.day == 29:
        day = day.replace(day=28)
    return day.replace(year=day.year - 1)  # ValueError before year 1


def preset_range(key: str, today: date) -> tuple[date, date]:
    """The dates ``[from, to]`` the preset ``key`` covers on ``today``; ValueError for an unknown key."""
    if key == "month_to_date":
        return today.replace(day=1), today
    if key == "year_to_date":
        return today.replace(month=1, day=1), today
    if key == "previous_month":
        last_day = _shift(today.replace(day=1), -1)
        return last_day.replace(day=1), last_day
    if key in _ROLLING_DAYS:
        return _shift(today, 1 - _ROLLING_DAYS[key]), today
    raise ValueError(f"unknown period {key!r}")


def comparison_range(start: date, end: date, key: str) -> tuple[date, date]:
    """The range that ``[start, end]`` is compared with; ValueError for an unknown key or a range
    that ends before it starts."""
    if key not in COMPARISONS:
        raise ValueError(f"unknown comparison {key!r}")
    if end < start:
        raise ValueError("the range ends before it starts")
    if key == "previous_year":
        return _year_before(start), _year_before(end)
    days = (end - start).days + 1
    return _shift(start, -days), _shift(start, -1)
