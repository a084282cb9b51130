"""GET /v0/pipes/<name>.json compresses its rows for clients that accept gzip, as Tinybird does."""
from __future__ import annotations

import gzip
import json

import pytest

from .conftest import scope

pytestmark = pytest.mark.django_db(databases=["default", "analytics"])

URL = "/v0/pipes/sales.json"


@pytest.fixture
def acme_token(make_token):
    return make_token([scope("sales", company_id="acme")])


def test_it_gzips_rows_for_a_client_that_accepts_gzip(api, sales, acme_token):
    response = api.client.get(URL, HTTP_AUTHORIZATION=f"Bearer {acme_token}", HTTP_ACCEPT_ENCODING="gzip, br")
    assert response.status_code == 200
    assert response["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in response["Vary"]
    body = json.loads(gzip.decompress(response.content))
    assert {row["company_id"] for row in body["data"]} == {"acme"}
    # The API's own headers survive compression.
    assert response["Access-Control-Allow-Origin"] == "*"
    assert response["Cache-Control"] == "no-store"


def test_it_sends_plain_json_to_a_client_that_does_not(api, sales, acme_token):
    response = api.client.get(URL, HTTP_AUTHORIZATION=f"Bearer {acme_token}")
    assert response.status_code == 200
    assert not response.has_header("Content-Encoding")
    assert response.json()["data"]
