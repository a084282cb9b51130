"""filters.parse: period presets resolved on the server, comparisons, and cross-filter chips."""
from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st
from django.test import override_settings
from django.utils import timezone

from charts import filters, periods
from tests.charts.builders import make_chart

DATES = ("date_from", "date_to")
TODAY = date(2026, 3, 15)


def test_a_period_sets_the_date_range_for_today() -> None:
    parsed = filters.parse({"period": "last_7_days"}, DATES, today=TODAY)
    assert parsed.period == "last_7_days" and parsed.values == {"date_from": "2026-03-09", "date_to": "2026-03-15"}
    assert not parsed.errors and parsed.ignored == ()


def test_the_period_wins_over_dates_in_the_url_even_bad_ones() -> None:
    parsed = filters.parse({"period": "previous_month", "date_from": "2020-01-01", "date_to": "nope"}, DATES, today=TODAY)
    assert parsed.values == {"date_from": "2026-02-01", "date_to": "2026-02-28"} and not parsed.errors


@override_settings(TIME_ZONE="Pacific/Kiritimati")
def test_without_a_day_given_it_is_the_servers_local_date() -> None:
    parsed = filters.parse({"period": "month_to_date"}, DATES)
    today = timezone.localdate()
    assert parsed.values == {"date_from": today.replace(day=1).isoformat(), "date_to": today.isoformat()}


@pytest.mark.parametrize("key", ["period", "compare"])
def test_an_unknown_key_is_a_filter_error(key) -> None:
    parsed = filters.parse({key: "forever", "date_from": "2026-03-01"}, DATES, today=TODAY)
    assert set(parsed.errors) == {key} and parsed.values == {"date_from": "2026-03-01"}
    assert parsed.period == parsed.compare == ""
    assert parsed.error_messages[0].startswith("Period: choose one of Last 7 days" if key == "period" else "Comparison: choose one of Previous period")


def test_a_comparison_is_kept_with_the_dates() -> None:
    parsed = filters.parse({"compare": "previous_year", "date_from": "2026-03-01", "date_to": "2026-03-31"}, DATES)
    assert parsed.compare == "previous_year" and parsed.values == {"date_from": "2026-03-01", "date_to": "2026-03-31"}


def test_without_both_dates_offered_period_and_compare_mean_nothing() -> None:
    parsed = filters.parse({"period": "last_7_days", "compare": "previous_year", "date_from": "2026-03-01"}, ("date_from", "city"))
    assert parsed.period == parsed.compare == "" and parsed.values == {"date_from": "2026-03-01"} and not parsed.errors
    assert parsed.ignored == ("compare", "period")


def test_cross_filters_are_chips_not_fields() -> None:
    parsed = filters.parse({"city": "Paris"}, (*DATES, "city", "product"), cross_filters=("city", "region"))
    assert parsed.cross_filters == ("city",)  # region is not offered on this page
    assert [f.name for f in parsed.fields] == ["date_from", "date_to", "product"]
    assert [(c.name, c.value) for c in parsed.chips] == [("city", "Paris")]


def test_a_cross_filter_value_is_checked_like_any_other() -> None:
    parsed = filters.parse({"city": "a\x00b"}, ("city",), cross_filters=("city",))
    assert parsed.errors == {"city": "control characters are not allowed."} and parsed.chips == []


def test_period_and_compare_are_never_pipe_params(workspace) -> None:
    chart = make_chart(workspace, filter_params="date_from, period, compare, city", cross_filter_param="period")
    assert filters.chart_params(chart, []) == ("date_from", "city")
    assert filters.cross_filter_of(chart, []) == ""


@given(
    query=st.dictionaries(
        st.sampled_from(["period", "compare", "date_from", "date_to", "city", "theme"]),
        st.one_of(st.sampled_from([*periods.PRESETS, *periods.COMPARISONS, "2026-02-30", "2026-03-01"]), st.text(max_size=12)),
    ),
    today=st.dates(min_value=date(1, 3, 1)),
)
def test_any_query_parses_to_known_keys_and_a_valid_range(query, today) -> None:
    parsed = filters.parse(query, (*DATES, "city"), cross_filters=("city",), today=today)
    assert parsed.period in ("", *periods.PRESETS) and parsed.compare in ("", *periods.COMPARISONS)
    assert (parsed.period == "") == (query.get("period", "").strip() not in periods.PRESETS)
    for name in DATES:
        if name in parsed.values:
            date.fromisoformat(parsed.values[name])
    if "date_from" in parsed.values and "date_to" in parsed.values:
        assert parsed.values["date_from"] <= parsed.values["date_to"]
    if parsed.period:
        assert parsed.values["date_to"] == today.isoformat() or parsed.period == "previous_month"
