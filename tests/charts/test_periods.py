"""charts/periods.py: the filter bar's presets and comparisons. The cases of
tests/fixtures/periods.json are the ones static/charts/periods.js passes too (tests/js/periods.test.mjs);
the properties here cover the dates between them."""
from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from charts.filters import check_date
from charts.periods import COMPARISONS, PRESETS, comparison_range, preset_range
from tests.support.examples import examples

FIXTURE = json.loads((Path(__file__).resolve().parents[1] / "fixtures" / "periods.json").read_text())
PRESET_CASES = [case for case in FIXTURE["cases"] if "preset" in case]
COMPARISON_CASES = [case for case in FIXTURE["cases"] if "comparison" in case]

# Dates well inside Python's range, so a year back or 90 days back always exists.
DAYS = st.dates(min_value=date(1900, 1, 1), max_value=date(2200, 12, 31))


def _day(text: str) -> date:
    """A date the way the filter bar accepts one: YYYY-MM-DD and real, else ValueError."""
    problem = check_date(text)
    if problem:
        raise ValueError(problem)
    return date.fromisoformat(text)


def _written(days: tuple[date, date]) -> list[str]:
    return [day.isoformat() for day in days]


def _case_id(case: dict[str, Any]) -> str:
    if "preset" in case:
        return f"{case['preset'] or 'empty'}@{case['today']}"
    return f"{case['comparison']}@{'..'.join(case['range'])}"


def test_the_labels_and_their_order_are_those_the_js_module_shows() -> None:
    assert list(PRESETS.items()) == [tuple(pair) for pair in FIXTURE["presets"]]
    assert list(COMPARISONS.items()) == [tuple(pair) for pair in FIXTURE["comparisons"]]
    assert PRESETS["last_7_days"] == "Last 7 days"
    assert COMPARISONS["previous_year"] == "Same period last year"


@pytest.mark.parametrize("case", PRESET_CASES, ids=_case_id)
def test_a_preset_covers_the_shared_cases_range(case: dict[str, Any]) -> None:
    if case["range"] is None:
        with pytest.raises(ValueError):
            preset_range(case["preset"], _day(case["today"]))
    else:
        assert _written(preset_range(case["preset"], _day(case["today"]))) == case["range"]


@pytest.mark.parametrize("case", COMPARISON_CASES, ids=_case_id)
def test_a_comparison_covers_the_shared_cases_range(case: dict[str, Any]) -> None:
    start, end = case["range"]
    if case["expected"] is None:
        with pytest.raises(ValueError):
            comparison_range(_day(start), _day(end), case["comparison"])
    else:
        assert _written(comparison_range(_day(start), _day(end), case["comparison"])) == case["expected"]


def test_the_shared_cases_cover_every_preset_and_comparison() -> None:
    assert {case["preset"] for case in PRESET_CASES if case["range"]} == set(PRESETS)
    assert {case["comparison"] for case in COMPARISON_CASES if case["expected"]} == set(COMPARISONS)


@settings(max_examples=examples(500))
@given(today=DAYS, key=st.sampled_from(sorted(PRESETS)))
def test_every_preset_ends_today_or_at_the_end_of_last_month_and_starts_on_or_before_its_end(
    today: date, key: str
) -> None:
    start, end = preset_range(key, today)
    assert start <= end
    if key == "previous_month":
        assert end + timedelta(days=1) == today.replace(day=1)
        assert start == end.replace(day=1)
    else:
        assert end == today
    assert today - start <= timedelta(days=365), "no preset reaches back more than a year"


@settings(max_examples=examples(300))
@given(today=DAYS)
def test_the_rolling_presets_hold_exactly_their_number_of_days(today: date) -> None:
    for key, days in (("last_7_days", 7), ("last_30_days", 30), ("last_90_days", 90)):
        start, end = preset_range(key, today)
        assert (end - start).days + 1 == days
    assert preset_range("month_to_date", today)[0] == date(today.year, today.month, 1)
    assert preset_range("year_to_date", today)[0] == date(today.year, 1, 1)


@settings(max_examples=examples(500))
@given(start=DAYS, length=st.integers(min_value=1, max_value=800))
def test_the_previous_period_has_the_same_length_and_ends_the_day_before(start: date, length: int) -> None:
    end = start + timedelta(days=length - 1)
    earlier_start, earlier_end = comparison_range(start, end, "previous_period")
    assert earlier_end == start - timedelta(days=1)
    assert (earlier_end - earlier_start).days + 1 == length


@settings(max_examples=examples(500))
@given(start=DAYS, length=st.integers(min_value=1, max_value=800))
def test_the_same_period_last_year_moves_both_ends_back_one_year(start: date, length: int) -> None:
    end = start + timedelta(days=length - 1)
    earlier = comparison_range(start, end, "previous_year")
    for day, before in zip((start, end), earlier):
        assert before.year == day.year - 1 and before.month == day.month
        assert before.day == (28 if (day.month, day.day) == (2, 29) else day.day)
    assert earlier[0] <= earlier[1]


@given(today=DAYS, key=st.text(max_size=20).filter(lambda key: key not in PRESETS))
def test_an_unknown_preset_is_refused(today: date, key: str) -> None:
    with pytest.raises(ValueError):
        preset_range(key, today)


@given(start=DAYS, key=st.text(max_size=20).filter(lambda key: key not in COMPARISONS))
def test_an_unknown_comparison_is_refused(start: date, key: str) -> None:
    with pytest.raises(ValueError):
        comparison_range(start, start, key)
