"""charts/schedules.py: a subscription's slots in its person's time zone, daylight saving included."""
from __future__ import annotations

import zoneinfo
from datetime import UTC, date, datetime, time, timedelta

import pytest
from django.utils import translation
from hypothesis import given, settings
from hypothesis import strategies as st

from charts.schedules import DAILY, MONTHLY, WEEKLY, Schedule, describe, latest_run, local_instant, next_run
from tests.support.examples import examples

WARSAW, NEW_YORK = "Europe/Warsaw", "America/New_York"
ZONES = [WARSAW, NEW_YORK, "UTC", "Asia/Kolkata", "Australia/Lord_Howe", "Pacific/Chatham", "America/Sao_Paulo"]


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def local(moment: datetime, zone: str) -> datetime:
    return moment.astimezone(zoneinfo.ZoneInfo(zone))


def test_it_sends_daily_at_the_local_time():
    schedule = Schedule(DAILY, time(8, 0), WARSAW)
    # 1 Dec 2026, 06:00 UTC is 07:00 in Warsaw: today's 08:00 is still ahead.
    assert next_run(schedule, utc(2026, 12, 1, 6, 0)) == utc(2026, 12, 1, 7, 0)
    # Exactly at the slot: the next one is tomorrow's.
    assert next_run(schedule, utc(2026, 12, 1, 7, 0)) == utc(2026, 12, 2, 7, 0)


def test_it_sends_weekly_on_the_weekday():
    schedule = Schedule(WEEKLY, time(9, 30), NEW_YORK, weekday=4)  # Fridays
    slot = next_run(schedule, utc(2026, 12, 1, 12, 0))  # a Tuesday
    assert local(slot, NEW_YORK).replace(tzinfo=None) == datetime(2026, 12, 4, 9, 30)


def test_it_sends_monthly_on_the_day():
    schedule = Schedule(MONTHLY, time(7, 0), WARSAW, day_of_month=28)
    slot = next_run(schedule, utc(2026, 2, 28, 12, 0))  # after February's
    assert local(slot, WARSAW).replace(tzinfo=None) == datetime(2026, 3, 28, 7, 0)


def test_it_keeps_the_local_time_across_a_clock_change():
    schedule = Schedule(DAILY, time(8, 0), WARSAW)
    # Winter: 08:00 CET is 07:00 UTC; after 29 March 2026 08:00 CEST is 06:00 UTC.
    assert next_run(schedule, utc(2026, 3, 28, 12, 0)) == utc(2026, 3, 29, 6, 0)
    assert next_run(schedule, utc(2026, 3, 27, 12, 0)) == utc(2026, 3, 28, 7, 0)


@pytest.mark.parametrize(
    ("zone", "day", "wall", "expected"),
    [
        # Warsaw skips 02:00-03:00 on 29 March 2026 (01:00 UTC): 02:30 moves to 03:00 CEST.
        (WARSAW, date(2026, 3, 29), time(2, 30), utc(2026, 3, 29, 1, 0)),
        (WARSAW, date(2026, 3, 29), time(2, 0), utc(2026, 3, 29, 1, 0)),
        # New York skips 02:00-03:00 on 8 March 2026 (07:00 UTC).
        (NEW_YORK, date(2026, 3, 8), time(2, 15), utc(2026, 3, 8, 7, 0)),
    ],
)
def test_a_skipped_local_time_moves_to_the_moment_the_clocks_jump(zone, day, wall, expected):
    schedule = Schedule(DAILY, wall, zone)
    assert next_run(schedule, datetime.combine(day, time(0, 0), zoneinfo.ZoneInfo(zone))) == expected
    assert local(expected, zone).time() == time(3, 0)


@pytest.mark.parametrize(
    ("zone", "day", "wall", "expected"),
    [
        # Warsaw passes 02:00-03:00 twice on 25 October 2026: the first is 02:30 CEST, 00:30 UTC.
        (WARSAW, date(2026, 10, 25), time(2, 30), utc(2026, 10, 25, 0, 30)),
        # New York passes 01:00-02:00 twice on 1 November 2026: the first is 01:30 EDT, 05:30 UTC.
        (NEW_YORK, date(2026, 11, 1), time(1, 30), utc(2026, 11, 1, 5, 30)),
    ],
)
def test_a_doubled_local_time_takes_the_first(zone, day, wall, expected):
    schedule = Schedule(DAILY, wall, zone)
    first = next_run(schedule, datetime.combine(day, time(0, 0), zoneinfo.ZoneInfo(zone)))
    assert first == expected
    # ... and only once: the next slot is the following day's.
    assert local(next_run(schedule, first), zone).date() == day + timedelta(days=1)


def test_latest_run_is_the_last_slot_at_or_before():
    schedule = Schedule(WEEKLY, time(8, 0), WARSAW, weekday=0)  # Mondays
    now = utc(2026, 12, 1, 12, 0)  # Tuesday
    assert latest_run(schedule, now) == utc(2026, 11, 30, 7, 0)
    assert latest_run(schedule, utc(2026, 11, 30, 7, 0)) == utc(2026, 11, 30, 7, 0)


def test_it_refuses_a_naive_instant_and_bad_schedules():
    with pytest.raises(ValueError):
        next_run(Schedule(DAILY, time(8), WARSAW), datetime(2026, 12, 1, 8))
    with pytest.raises(ValueError):
        Schedule(MONTHLY, time(8), WARSAW, day_of_month=31)
    with pytest.raises(ValueError):
        Schedule("hourly", time(8), WARSAW)
    with pytest.raises(zoneinfo.ZoneInfoNotFoundError):
        Schedule(DAILY, time(8), "Mars/Olympus_Mons")


def test_it_says_the_schedule_in_the_active_language():
    weekly = Schedule(WEEKLY, time(8, 5), WARSAW, weekday=0)
    with translation.override("en"):
        assert describe(weekly) == "Weekly on Monday at 08:05"
        assert describe(Schedule(MONTHLY, time(7, 0), WARSAW, day_of_month=3)) == "Monthly on day 3 at 07:00"
        assert describe(Schedule(DAILY, time(18, 0), WARSAW)) == "Daily at 18:00"
    with translation.override("de"):
        assert "Montag" in describe(weekly)  # Django's own catalogue names the weekdays


schedules = st.builds(
    Schedule,
    frequency=st.sampled_from([DAILY, WEEKLY, MONTHLY]),
    send_time=st.times().map(lambda t: t.replace(second=0, microsecond=0)),
    time_zone=st.sampled_from(ZONES),
    weekday=st.integers(0, 6),
    day_of_month=st.integers(1, 28),
)
instants = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2090, 12, 31), timezones=st.just(UTC))


def _wall_time_of(slot: datetime, schedule: Schedule) -> tuple[date, time]:
    """The local date and time the slot was meant for: its own, or (when the clocks skipped the
    wanted time) the wanted time on the day the jump happened."""
    moment = local(slot, schedule.time_zone)
    wanted = schedule.send_time
    if moment.time() != wanted and local_instant(datetime.combine(moment.date(), wanted), schedule.zone) == slot:
        return moment.date(), wanted
    return moment.date(), moment.time()


@settings(max_examples=examples(500))
@given(schedules, instants)
def test_next_run_is_after_now_on_the_right_local_day_and_time(schedule, now):
    slot = next_run(schedule, now)
    assert slot > now
    assert slot.tzinfo is UTC
    day, at = _wall_time_of(slot, schedule)
    assert at == schedule.send_time
    assert schedule.runs_on(day)
    # No slot was skipped between now and it.
    assert latest_run(schedule, slot - timedelta(microseconds=1)) <= now


@settings(max_examples=examples(300))
@given(schedules, instants)
def test_latest_and_next_run_are_neighbours(schedule, now):
    previous = latest_run(schedule, now)
    assert previous <= now
    assert next_run(schedule, previous) == next_run(schedule, now)


@settings(max_examples=examples(300))
@given(st.sampled_from([WARSAW, NEW_YORK]), st.dates(date(2020, 1, 1), date(2035, 12, 31)), st.times())
def test_every_local_time_maps_to_one_instant_at_or_after_its_wall_reading(zone, day, wanted):
    wall = datetime.combine(day, wanted.replace(second=0, microsecond=0))
    instant = local_instant(wall, zoneinfo.ZoneInfo(zone))
    shown = local(instant, zone).replace(tzinfo=None)
    # It exists and is shown as asked, or was skipped and the send moves forward by under an hour.
    assert shown == wall or wall < shown <= wall + timedelta(hours=1)
