"""Who may append: the admin token or a DATASOURCES:APPEND scope; a missing datasource is a 404
only to credentials that could append to it, so names do not leak. CORS and 429 as the pipes."""
from __future__ import annotations

import pytest

from .conftest import URL, ndjson

pytestmark = pytest.mark.django_db

LINE = ndjson({"id": 1})


def append(resource: str, type_: str = "DATASOURCES:APPEND") -> dict:
    return {"type": type_, "resource": resource}


def test_the_admin_token_appends(events):
    assert events.post(LINE, name="ev_plain").status_code == 202


@pytest.mark.parametrize("type_", ["DATASOURCES:APPEND", "DATASOURCE:APPEND"])
def test_a_jwt_with_an_append_scope_appends(events, make_token, rows, type_):
    response = events.post(LINE, name="ev_plain", token=make_token([append("ev_plain", type_)]))
    assert response.status_code == 202, response.content
    assert len(rows("ev_plain")) == 1


def test_a_read_scope_never_appends(events, make_token, rows):
    token = make_token([{"type": "PIPES:READ", "resource": "ev_plain"}, {"type": "DATASOURCES:READ", "resource": "ev_plain"}])
    response = events.post(LINE, name="ev_plain", token=token)
    assert response.status_code == 403
    assert "APPEND" in response.json()["error"]
    assert rows("ev_plain") == []


def test_an_append_scope_for_another_datasource_is_403(events, make_token):
    response = events.post(LINE, name="ev_plain", token=make_token([append("ev_orders")]))
    assert response.status_code == 403


def test_no_token_is_403(events):
    response = events.post(LINE, name="ev_plain", token=None)
    assert response.status_code == 403
    assert "no token" in response.json()["error"]


def test_a_bad_token_is_403(events, make_token):
    token = make_token([append("ev_plain")], key="another-key-that-is-long-enough-0123456789")
    assert events.post(LINE, name="ev_plain", token=token).status_code == 403


def test_an_unknown_datasource_is_404_only_after_auth(events, make_token):
    assert events.post(LINE, name="nope", token=None).status_code == 403
    assert events.post(LINE, name="nope", token=make_token([append("ev_plain")])).status_code == 403
    assert events.post(LINE, name="nope").status_code == 404
    assert events.post(LINE, name="nope", token=make_token([append("nope")])).status_code == 404


def test_no_deployed_project_is_404(client, admin_token):
    response = client.post(f"{URL}?name=ev_plain", LINE, content_type="application/x-ndjson", HTTP_AUTHORIZATION=f"Bearer {admin_token}")
    assert response.status_code == 404


def test_no_name_is_400(events):
    assert events.post(LINE, name="").status_code == 400


def test_get_is_405_and_the_preflight_allows_post_from_any_origin(client, events):
    response = client.get(f"{URL}?name=ev_plain")
    assert response.status_code == 405
    preflight = client.options(f"{URL}?name=ev_plain", HTTP_ORIGIN="https://app.example.com")
    assert preflight.status_code == 204
    assert preflight["Access-Control-Allow-Methods"] == "POST, OPTIONS"
    assert "Authorization" in preflight["Access-Control-Allow-Headers"]
    assert preflight["Access-Control-Allow-Origin"] == "*"
    assert events.post(LINE, name="ev_plain")["Access-Control-Allow-Origin"] == "*"


def test_a_token_over_its_rps_limit_gets_429(events, make_token, monkeypatch):
    from pipes import throttle

    monkeypatch.setattr(throttle, "now", lambda: 1_000_000.0)
    token = make_token([append("ev_plain")], limits={"rps": 2})
    statuses = [events.post(LINE, name="ev_plain", token=token).status_code for _ in range(3)]
    assert statuses == [202, 202, 429]
    refused = events.post(LINE, name="ev_plain", token=token)
    assert refused["Retry-After"] == "1"
    assert refused["X-RateLimit-Limit"] == "2" and refused["X-RateLimit-Remaining"] == "0"
