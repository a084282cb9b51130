"""A signing key rotated in the environment: old tokens are refused by the built-in host, new
ones work, and an open dashboard recovers at its next token refresh without a reload."""
from __future__ import annotations

import pytest
from django.urls import reverse

from charts import grants
from charts.models import TokenGrant
from tests.charts.builders import decode, make_chart, make_dashboard
from tests.conftest import LOCAL_KEY_ENV
from tests.pipes.sales import sales, sales_release  # noqa: F401  (the built-in host's test pipe)

OLD_KEY = "old-signing-key-0123456789-abcdefghijklmnopqrstuvwxyz"
NEW_KEY = "new-signing-key-9876543210-zyxwvutsrqponmlkjihgfedcba"

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def old_key(monkeypatch) -> None:
    monkeypatch.setenv(LOCAL_KEY_ENV, OLD_KEY)


@pytest.fixture
def board(workspace, acme, sales):  # noqa: F811
    return make_dashboard("sales", acme, charts=[make_chart(workspace, "Sales", "sales")])


def fresh_token(client) -> str:
    response = client.get(reverse("charts:dashboard_token", args=["sales"]))
    assert response.status_code == 200
    return response.json()["token"]


def read_pipe(client, token: str):
    return client.get("/v0/pipes/sales.json", HTTP_AUTHORIZATION=f"Bearer {token}")


def test_old_tokens_are_refused_and_the_next_refresh_recovers(alice_client, board, monkeypatch) -> None:
    old = fresh_token(alice_client)
    assert read_pipe(alice_client, old).status_code == 200
    assert fresh_token(alice_client) == old  # cached in the session while the key is unchanged

    monkeypatch.setenv(LOCAL_KEY_ENV, NEW_KEY)
    refused = read_pipe(alice_client, old)
    assert refused.status_code == 403
    assert refused.json() == {"error": "the token's signature is invalid"}

    new = fresh_token(alice_client)  # what dashboard.js asks for at its next refresh
    assert new != old
    assert decode(new, NEW_KEY)["scopes"] == decode(old, OLD_KEY)["scopes"]
    rows = read_pipe(alice_client, new)
    assert rows.status_code == 200
    assert {row["company_id"] for row in rows.json()["data"]} == {"acme"}
    assert TokenGrant.objects.count() == 2  # one grant per real mint
    assert fresh_token(alice_client) == new  # and the new one is cached again
    assert TokenGrant.objects.count() == 2


def test_the_dashboard_page_renders_tokens_of_the_new_key(alice_client, board, monkeypatch) -> None:
    page = reverse("charts:dashboard", args=["sales"])
    old = fresh_token(alice_client)
    monkeypatch.setenv(LOCAL_KEY_ENV, NEW_KEY)
    html = alice_client.get(page).content.decode()
    assert old not in html
    new = fresh_token(alice_client)
    assert new in html and read_pipe(alice_client, new).status_code == 200


def test_the_session_keeps_a_fingerprint_of_the_key_never_the_key(alice_client, board) -> None:
    fresh_token(alice_client)
    (entry,) = alice_client.session[grants.SESSION_KEY].values()
    assert entry["key"] == grants.key_fingerprint(OLD_KEY.encode())
    stored = str(dict(alice_client.session.items()))
    assert OLD_KEY not in stored and OLD_KEY[:16] not in stored


def test_fingerprints_differ_per_key_and_reveal_nothing() -> None:
    old, new = grants.key_fingerprint(OLD_KEY.encode()), grants.key_fingerprint(NEW_KEY.encode())
    assert old != new and len(old) == 16
    assert old not in OLD_KEY and grants.key_fingerprint(OLD_KEY.encode()) == old


def test_a_key_removed_after_minting_makes_the_charts_unavailable(alice_client, board, monkeypatch) -> None:
    fresh_token(alice_client)
    monkeypatch.delenv(LOCAL_KEY_ENV)
    response = alice_client.get(reverse("charts:dashboard_token", args=["sales"]))
    assert response.status_code == 200 and response.json()["workspaces"] == {}
    assert OLD_KEY not in response.content.decode()
