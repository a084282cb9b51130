"""/healthz: for load balancers. No login, no session, no cookie; 503 while a database is down."""
from __future__ import annotations

import pytest
from django.test import override_settings

from tests.test_faults import broken_database

pytestmark = pytest.mark.django_db(transaction=True, databases="__all__")

URL = "/healthz"


def test_it_answers_ok_after_asking_the_database(client, django_assert_num_queries) -> None:
    with django_assert_num_queries(1, using="default"):
        response = client.get(URL)
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}
    assert "no-store" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


def test_it_needs_no_login_and_sets_no_cookie(client) -> None:
    response = client.get(URL)
    assert response.status_code == 200  # not a redirect to the login page
    assert not response.cookies
    assert "Cookie" not in response.get("Vary", "")


def test_it_answers_503_while_the_database_is_down_and_recovers(client) -> None:
    with broken_database("default"):
        response = client.get(URL)
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "database": "unavailable"}
    assert client.get(URL).status_code == 200


def test_it_only_answers_get(client) -> None:
    assert client.post(URL).status_code == 405


@override_settings(SECURE_SSL_REDIRECT=True)
def test_load_balancers_may_probe_it_over_plain_http(client) -> None:
    assert client.get(URL).status_code == 200
    assert client.get("/login/").status_code == 301
