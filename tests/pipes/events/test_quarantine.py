"""Lines that do not fit go to <name>_quarantine with the reason: never dropped, never a 500."""
from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .conftest import ndjson

pytestmark = pytest.mark.django_db

GOOD = {"company": {"id": "acme"}, "amount": 1.5}


def _quarantined(rows, name: str = "ev_orders") -> list[dict]:
    return rows(f"{name}_quarantine", "c__raw")


def test_a_line_that_is_not_json_is_quarantined_with_the_reason(events, rows):
    response = events.post(ndjson(GOOD, '{"company": {"id": "acme"', GOOD))
    assert response.status_code == 202
    assert response.json() == {"successful_rows": 2, "quarantined_rows": 1}
    [bad] = _quarantined(rows)
    assert bad["c__raw"] == '{"company": {"id": "acme"'
    assert bad["c__error_column"] == []
    assert "not valid JSON" in bad["c__error"][0]
    assert bad["c__import_id"]
    assert len(rows("ev_orders")) == 2


@pytest.mark.parametrize("line, kind", [("[1, 2]", "an array"), ('"text"', "a str"), ("42", "a int"), ("null", "a NoneType")])
def test_a_line_that_is_not_an_object_is_quarantined(events, rows, line, kind):
    response = events.post(ndjson(line))
    assert response.json() == {"successful_rows": 0, "quarantined_rows": 1}
    [bad] = _quarantined(rows)
    assert bad["c__error"] == [f"the line is {kind}, not a JSON object"]


def test_nan_and_invalid_utf8_are_not_json(events, rows):
    response = events.post(b'{"company": {"id": "a"}, "amount": NaN}\n{"company": {"id": "\xff"}, "amount": 1}\n')
    assert response.json() == {"successful_rows": 0, "quarantined_rows": 2}
    assert all("not valid JSON" in bad["c__error"][0] for bad in _quarantined(rows))


def test_a_missing_value_without_default_is_quarantined(events, rows):
    response = events.post(ndjson({"amount": 3}, GOOD))
    assert response.json() == {"successful_rows": 1, "quarantined_rows": 1}
    [bad] = _quarantined(rows)
    assert bad["c__error_column"] == ["company_id"]
    assert bad["c__error"] == ["value is missing on column 'company_id', which is not Nullable and has no DEFAULT"]
    assert bad["amount"] == "3"  # the values as received, as text


def test_a_value_of_the_wrong_type_is_quarantined_by_clickhouse_and_the_rest_stored(events, rows, engine):
    lines = [GOOD, {"company": {"id": "bad"}, "amount": "twelve"}, GOOD, {"company": {"id": "late"}, "amount": 2, "ts": "not a date"}]
    response = events.post(ndjson(*lines))
    assert response.json() == {"successful_rows": 2, "quarantined_rows": 2}
    stored = rows("ev_orders")
    assert [r["company_id"] for r in stored] == ["acme", "acme"]
    by_company = {json.loads(bad["c__raw"])["company"]["id"]: bad for bad in _quarantined(rows)}
    assert by_company["bad"]["c__error_column"] == ["amount"]
    assert by_company["bad"]["c__error"] == ["value 'twelve' on column 'amount' is not Float64"]
    assert by_company["late"]["c__error"] == ["value 'not a date' on column 'ts' is not DateTime"]
    assert by_company["late"]["ts"] == "not a date"
    # the view saw the stored rows only
    result = engine.query(f"SELECT sum(total) AS total FROM {engine.database}.ev_totals")
    assert result.data[0]["total"] == 3.0


def test_an_integer_outside_its_column_is_quarantined_not_wrapped(events, rows):
    response = events.post(ndjson({**GOOD, "quantity": 300}, {**GOOD, "quantity": -1}, {**GOOD, "quantity": 255}))
    assert response.json() == {"successful_rows": 1, "quarantined_rows": 2}
    assert [r["quantity"] for r in rows("ev_orders")] == [255]
    errors = sorted(bad["c__error"][0] for bad in _quarantined(rows))
    assert errors == ["value '-1' on column 'quantity' is not UInt8", "value '300' on column 'quantity' is not UInt8"]


def test_every_error_of_a_line_is_listed(events, rows):
    events.post(ndjson({"amount": "x", "quantity": 1000}))
    [bad] = _quarantined(rows)
    assert set(bad["c__error_column"]) == {"company_id", "amount", "quantity"}
    assert len(bad["c__error"]) == 3


@pytest.mark.parametrize("value", ["3", [3], {"n": 3}, 3.5])
def test_a_number_column_takes_json_numbers_only(events, rows, value):
    response = events.post(ndjson({**GOOD, "quantity": value}))
    assert response.json() == {"successful_rows": 0, "quarantined_rows": 1}
    [bad] = _quarantined(rows)
    assert bad["c__error_column"] == ["quantity"]


def test_an_engine_failure_that_is_not_about_rows_is_503_and_quarantines_nothing(events, rows, monkeypatch):
    from pipes.engine import EngineError
    from pipes.engine.base import Engine

    def refuse(self, *args, **kwargs):
        raise EngineError("Code: 241. DB::Exception: Memory limit exceeded", 241)

    monkeypatch.setattr(Engine, "insert_raw", refuse)
    response = events.post(ndjson(GOOD))
    assert response.status_code == 503
    monkeypatch.undo()
    assert rows("ev_orders") == [] and _quarantined(rows) == []


def test_a_failing_materialized_view_is_422_not_blamed_on_the_rows(events, rows, engine):
    """ClickHouse stores the datasource's part before its views run: the answer says the rows
    may be stored, with a 4xx so that clients do not retry into duplicates."""
    database = engine.database
    engine.command(f"CREATE TABLE {database}.ev_guard (id Int32) ENGINE = MergeTree ORDER BY id")
    engine.command(
        f"CREATE MATERIALIZED VIEW {database}.ev_guard_mv TO {database}.ev_guard "
        "AS SELECT id + throwIf(id = 13, 'unlucky') AS id FROM ev_plain"
    )
    try:
        response = events.post(ndjson({"id": 1}, {"id": 13}), name="ev_plain")
    finally:
        engine.command(f"DROP TABLE IF EXISTS {database}.ev_guard_mv SYNC")
        engine.command(f"DROP TABLE IF EXISTS {database}.ev_guard SYNC")
    assert response.status_code == 422
    assert "may be stored in ev_plain" in response.json()["error"]
    assert "unlucky" in response.json()["error"]
    assert _quarantined(rows, "ev_plain") == []


_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=8),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.sampled_from(["id", "tag", "city"]), st.text(max_size=4), max_size=2),
)
_objects = st.fixed_dictionaries(
    {},
    optional={
        "company": _values,
        "amount": _values,
        "quantity": _values,
        "address": _values,
        "items": st.one_of(_values, st.lists(st.fixed_dictionaries({}, optional={"tag": _values}), max_size=3)),
        "note": _values,
        "ts": st.one_of(_values, st.just("2024-01-01 00:00:00")),
    },
)
_lines = st.one_of(
    _objects.map(json.dumps),
    _values.map(json.dumps),
    st.text(alphabet=st.characters(exclude_characters="\n\r", exclude_categories=["Cs"]), max_size=20),
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lines=st.lists(_lines, min_size=1, max_size=30))
def test_every_line_is_stored_or_quarantined(events, engine, lines):
    database = engine.database
    before = engine.query(
        f"SELECT (SELECT count() FROM {database}.ev_orders) AS stored, (SELECT count() FROM {database}.ev_orders_quarantine) AS held"
    ).data[0]
    body = "\n".join(lines).encode()
    response = events.post(body)
    assert response.status_code == 202, response.content
    answer = response.json()
    sent = sum(1 for line in body.split(b"\n") if line.strip())
    assert answer["successful_rows"] + answer["quarantined_rows"] == sent
    after = engine.query(
        f"SELECT (SELECT count() FROM {database}.ev_orders) AS stored, (SELECT count() FROM {database}.ev_orders_quarantine) AS held"
    ).data[0]
    assert after["stored"] - before["stored"] == answer["successful_rows"]
    assert after["held"] - before["held"] == answer["quarantined_rows"]
