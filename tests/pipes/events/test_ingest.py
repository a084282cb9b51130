"""POST /v0/events: NDJSON through jsonpaths and DEFAULTs into the datasource, gzip, wait."""
from __future__ import annotations

import pytest

from .conftest import ndjson

pytestmark = pytest.mark.django_db

FULL = {
    "company": {"id": "acme"},
    "address": {"city": "Berlin"},
    "amount": 12.5,
    "quantity": 3,
    "items": [{"tag": "a"}, {"tag": "b"}, {"other": 1}],
    "note": "first",
    "ts": "2024-05-01T10:11:12Z",
    "ignored": {"deep": [1, 2]},
}


def test_it_stores_rows_through_the_jsonpaths(events, rows):
    response = events.post(ndjson(FULL))
    assert response.status_code == 202, response.content
    assert response.json() == {"successful_rows": 1, "quarantined_rows": 0}
    [row] = rows("ev_orders")
    assert row["company_id"] == "acme"
    assert row["city"] == "Berlin"
    assert row["amount"] == 12.5
    assert row["quantity"] == 3
    assert row["tags"] == ["a", "b"]
    assert row["note"] == "first"
    assert row["ts"] == "2024-05-01 10:11:12"


def test_missing_values_take_the_column_default_or_null(events, rows):
    response = events.post(ndjson({"company": {"id": "globex"}, "amount": 1}, {"company": {"id": "x"}, "amount": 2, "address": {"city": None}}))
    assert response.json() == {"successful_rows": 2, "quarantined_rows": 0}
    first, second = rows("ev_orders", "amount")
    assert first["city"] == "unknown"  # DEFAULT 'unknown'
    assert first["quantity"] == 1  # DEFAULT 1
    assert first["tags"] == []  # an Array column takes its empty array
    assert first["note"] is None  # Nullable
    assert first["ts"] == "2000-01-01 00:00:00"  # a DEFAULT expression
    assert second["city"] == "unknown"  # null takes the DEFAULT as well


def test_a_schema_without_jsonpaths_reads_top_level_keys(events, rows):
    response = events.post(ndjson({"id": 1, "name": "one"}, {"id": 2}), name="ev_plain")
    assert response.json() == {"successful_rows": 2, "quarantined_rows": 0}
    assert [(r["id"], r["name"]) for r in rows("ev_plain", "id")] == [(1, "one"), (2, "anonymous")]


def test_it_takes_a_gzip_body(events, rows):
    body = ndjson(*({"id": i} for i in range(1000)))
    response = events.post(body, name="ev_plain", gzipped=True)
    assert response.json() == {"successful_rows": 1000, "quarantined_rows": 0}
    assert len(rows("ev_plain")) == 1000


def test_wait_true_answers_200_once_written(events, rows):
    response = events.post(ndjson({"id": 7}), name="ev_plain", query="&wait=true")
    assert response.status_code == 200
    assert response.json() == {"successful_rows": 1, "quarantined_rows": 0}
    assert len(rows("ev_plain")) == 1


def test_blank_lines_and_crlf_are_not_rows(events, rows):
    response = events.post(b'{"id": 1}\r\n\r\n   \n{"id": 2}', name="ev_plain")
    assert response.json() == {"successful_rows": 2, "quarantined_rows": 0}


def test_an_empty_body_stores_nothing(events):
    response = events.post(b"", name="ev_plain")
    assert response.status_code == 202
    assert response.json() == {"successful_rows": 0, "quarantined_rows": 0}


def test_the_materialized_view_is_updated_on_every_insert(events, engine):
    events.post(ndjson({"company": {"id": "acme"}, "amount": 10}, {"company": {"id": "acme"}, "amount": 5}))
    events.post(ndjson({"company": {"id": "acme"}, "amount": 1}, {"company": {"id": "globex"}, "amount": 2}))
    result = engine.query(
        f"SELECT company_id, sum(total) AS total FROM {engine.database}.ev_totals GROUP BY company_id ORDER BY company_id"
    )
    assert [(r["company_id"], r["total"]) for r in result.data] == [("acme", 16), ("globex", 2)]


def test_a_form_encoded_body_like_curl_d_sends_is_read_as_ndjson(events, rows, admin_token):
    """``curl -d`` and the Python SDKs post the lines as a form body; the token may sit in the
    query string. A body over Django's 2.5 MB form limit is still read."""
    body = ndjson(*({"id": i, "name": "x" * 40} for i in range(50_000)))
    assert len(body) > 2_621_440
    response = events.post(
        body,
        name="ev_plain",
        token=None,
        query=f"&token={admin_token}&wait=true",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200, response.content
    assert response.json() == {"successful_rows": 50_000, "quarantined_rows": 0}


def test_the_python_sdk_request_shape_is_accepted(events, rows):
    """tinybird-python-sdk's Datasource.flush: POST /v0/events?mode=append&name=…&format=ndjson
    &wait=false, the lines as the body without a content type, the token as Bearer."""
    response = events.post(ndjson({"id": 1}, {"id": 2}), name="ev_plain", query="&mode=append&format=ndjson&wait=false", content_type="")
    assert response.status_code == 202, response.content
    assert response.json() == {"successful_rows": 2, "quarantined_rows": 0}


@pytest.mark.parametrize("query", ["&format=csv", "&mode=replace"])
def test_other_formats_and_modes_are_400(events, query):
    assert events.post(ndjson({"id": 1}), name="ev_plain", query=query).status_code == 400
