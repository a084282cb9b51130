"""When a report subscription is due: pure functions over a schedule and an instant, no database.

A schedule is a wall-clock time in the person's time zone: every day, one weekday a week, or one
day (1-28) a month. Slots are computed on local dates and then placed in UTC with zoneinfo, so a
send stays at 08:00 local across daylight saving changes. Two local times need a rule:

- a time the clocks skip (spring forward, e.g. 02:30 in Warsaw on the last Sunday of March) moves
  forward to the first instant that exists, the moment the clocks jump (03:00 local);
- a time the clocks pass twice (fall back, 02:30 on the last Sunday of October) is the first of
  the two (still on summer time).
"""
from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.utils.dates import WEEKDAYS
from django.utils.translation import gettext as _

DAILY, WEEKLY, MONTHLY = "daily", "weekly", "monthly"
FREQUENCIES = (DAILY, WEEKLY, MONTHLY)
# A monthly slot is at most 31 days away; the search covers more than that on either side.
_SEARCH_DAYS = 64


@dataclass(frozen=True)
class Schedule:
    frequency: str  # daily | weekly | monthly
    send_time: time  # local wall-clock time (seconds and microseconds are ignored)
    time_zone: str  # IANA name
    weekday: int = 0  # weekly: 0 Monday .. 6 Sunday
    day_of_month: int = 1  # monthly: 1..28

    def __post_init__(self) -> None:
        if self.frequency not in FREQUENCIES:
            raise ValueError(f"unknown frequency {self.frequency!r}")
        if not 0 <= self.weekday <= 6:
            raise ValueError("weekday must be 0 (Monday) to 6 (Sunday)")
        if not 1 <= self.day_of_month <= 28:
            raise ValueError("day of month must be 1 to 28")
        zoneinfo.ZoneInfo(self.time_zone)  # ZoneInfoNotFoundError for an unknown name

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)

    def runs_on(self, day: date) -> bool:
        if self.frequency == WEEKLY:
            return day.weekday() == self.weekday
        if self.frequency == MONTHLY:
            return day.day == self.day_of_month
        return True

    def slot_on(self, day: date) -> datetime:
        """The UTC instant of this schedule's send on local date ``day`` (whether or not it runs then)."""
        wall = datetime.combine(day, self.send_time.replace(second=0, microsecond=0))
        return local_instant(wall, self.zone)


def local_instant(wall: datetime, zone: zoneinfo.ZoneInfo) -> datetime:
    """The UTC instant of the naive local ``wall`` time in ``zone``: the first of two when the
    clocks pass it twice, the moment the clocks jump when they skip it."""
    first = wall.replace(tzinfo=zone, fold=0).astimezone(UTC)
    if first.astimezone(zone).replace(tzinfo=None) == wall:
        return first  # it exists (fold=0 is the earlier of an ambiguous pair)
    # Skipped: fold=1 reads it with the offset after the jump, which lands before the jump; the
    # jump itself lies between the two readings. Offsets change on whole seconds.
    before = wall.replace(tzinfo=zone, fold=1).astimezone(UTC)
    lo, hi = sorted((before, first))
    offset_before = lo.astimezone(zone).utcoffset()
    while hi - lo > timedelta(seconds=1):
        mid = lo + (hi - lo) / 2
        mid = mid.replace(microsecond=0)
        if mid.astimezone(zone).utcoffset() == offset_before:
            lo = mid
        else:
            hi = mid
    return hi


def _aware(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("an aware datetime is needed")
    return moment.astimezone(UTC)


def next_run(schedule: Schedule, after: datetime) -> datetime:
    """The first slot strictly after ``after`` (aware), in UTC."""
    after = _aware(after)
    start = after.astimezone(schedule.zone).date() - timedelta(days=1)
    for offset in range(_SEARCH_DAYS):
        day = start + timedelta(days=offset)
        if schedule.runs_on(day) and (slot := schedule.slot_on(day)) > after:
            return slot
    raise AssertionError("no slot within the search window")  # pragma: no cover - 28 < 64 days


def latest_run(schedule: Schedule, at_or_before: datetime) -> datetime:
    """The last slot at or before ``at_or_before`` (aware), in UTC: the one a late run sends."""
    moment = _aware(at_or_before)
    start = moment.astimezone(schedule.zone).date() + timedelta(days=1)
    for offset in range(_SEARCH_DAYS):
        day = start - timedelta(days=offset)
        if schedule.runs_on(day) and (slot := schedule.slot_on(day)) <= moment:
            return slot
    raise AssertionError("no slot within the search window")  # pragma: no cover


def describe(schedule: Schedule) -> str:
    """The schedule in words, in the active language: "Weekly on Monday at 08:00"."""
    at = schedule.send_time.strftime("%H:%M")
    if schedule.frequency == WEEKLY:
        return _("Weekly on %(weekday)s at %(time)s") % {"weekday": WEEKDAYS[schedule.weekday], "time": at}
    if schedule.frequency == MONTHLY:
        return _("Monthly on day %(day)d at %(time)s") % {"day": schedule.day_of_month, "time": at}
    return _("Daily at %(time)s") % {"time": at}
