"""The requests ``@tinybirdco/charts`` 0.3.0 sends, replayed without a browser (read from its
``dist/lib/utils.js`` and ``dist/lib/fetcher.js``; test_tinybird_charts.py sees them sent).

It builds ``<endpoint>?<params>&from=chart&token=<token>`` and GETs it; once that URL passes 2,048
characters it keeps ``token`` and ``from`` in the query string and POSTs the other params as a
JSON object with ``Content-Type: application/json``, which a browser preflights.
"""
from __future__ import annotations

import json

import pytest
from django.test import Client

from pipes.engine import Engine

from .conftest import expected, mint

DAILY = "/v0/pipes/cl_daily.json"


@pytest.fixture
def token(host: Engine) -> str:
    return mint("acme")


def post_json(client: Client, token: str, body: object):
    return client.post(f"{DAILY}?from=chart&token={token}", json.dumps(body), content_type="application/json")


def test_the_get_with_the_token_in_the_query_string_reads_the_tokens_tenant(client, token):
    response = client.get(DAILY, {"company_id": "globex", "from": "chart", "token": token})
    assert response.status_code == 200, response.content
    assert response.json()["data"] == expected("acme", "date")


@pytest.mark.parametrize("cities", ["Berlin,Paris", ["Berlin", "Paris"]])
def test_the_json_post_carries_the_params(client, token, cities):
    response = post_json(client, token, {"cities": cities, "company_id": "globex", "note": 3, "flag": True})
    assert response.status_code == 200, response.content
    assert response["Access-Control-Allow-Origin"] == "*"
    assert response.json()["data"] == [row for row in expected("acme", "date") if row["date"] != "2024-01-04"]


@pytest.mark.parametrize("body", ['["Berlin"]', "not json", '{"cities": {"in": "Berlin"}}'])
def test_a_json_body_that_is_not_an_object_of_values_is_a_400(client, token, body):
    response = client.post(f"{DAILY}?token={token}", body, content_type="application/json")
    assert response.status_code == 400
    assert set(response.json()) == {"error"}


def test_the_preflight_of_the_json_post_is_allowed(client, host):
    response = client.options(
        DAILY,
        HTTP_ORIGIN="http://localhost:8123",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="content-type",
    )
    assert response.status_code == 204
    assert response["Access-Control-Allow-Origin"] == "*"
    assert "POST" in response["Access-Control-Allow-Methods"].split(", ")
    assert "content-type" in response["Access-Control-Allow-Headers"].lower()
