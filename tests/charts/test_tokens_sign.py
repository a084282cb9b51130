"""grants.sign_and_record signs with PyJWT: every verifier (Tinybird, pipes.auth) reads what Panes signs."""
from __future__ import annotations

import base64
import json
from datetime import datetime, timezone

import jwt
import pytest

from charts import grants, tokens
from charts.models import TokenGrant
from tests.charts.builders import KNOWN_KEY
from tests.conftest import LOCAL_KEY_ENV


@pytest.fixture(autouse=True)
def known_key(monkeypatch) -> None:
    monkeypatch.setenv(LOCAL_KEY_ENV, KNOWN_KEY)


def payload(scopes: int = 3, **extra) -> dict:
    charts = [tokens.ChartSpec(key=i, resource=f"pipe_{i}", tenant_params=("company_id",)) for i in range(scopes)]
    rules = [tokens.RuleSpec("company_id", "acmé ☃"), tokens.RuleSpec("region", 7, resource="pipe_0")]
    return tokens.build_payload(
        workspace_id="00000000-0000-4000-8000-00000000fa9e",
        tenant_slug="acme",
        user_id=42,
        charts=charts,
        rules=rules,
        now=datetime.now(timezone.utc),
        ttl_seconds=900,
        **extra,
    ).payload


def sign(claims: dict, alice, acme, workspace) -> str:
    return grants.sign_and_record(claims, user=alice, tenant=acme, workspace=workspace, dashboard=None)


def test_pyjwt_verifies_it_with_hs256_and_the_workspace_key(alice, acme, workspace) -> None:
    claims = payload(rps=5)
    token = sign(claims, alice, acme, workspace)
    assert jwt.get_unverified_header(token) == {"alg": "HS256", "typ": "JWT"}
    assert jwt.decode(token, KNOWN_KEY, algorithms=["HS256"]) == claims


def test_another_key_does_not_verify_it(alice, acme, workspace) -> None:
    token = sign(payload(), alice, acme, workspace)
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(token, "x" * 48, algorithms=["HS256"])


def test_its_claims_keep_their_types_and_non_ascii_values(alice, acme, workspace) -> None:
    token = sign(payload(1), alice, acme, workspace)
    body = token.split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    assert claims["scopes"][0]["fixed_params"] == {"company_id": "acmé ☃", "region": 7}
    assert isinstance(claims["iat"], int) and claims["exp"] - claims["iat"] == 900


def test_the_grant_holds_the_tokens_fingerprint_not_the_token(alice, acme, workspace) -> None:
    token = sign(payload(), alice, acme, workspace)
    [grant] = TokenGrant.objects.all()
    assert grant.fingerprint == tokens.fingerprint(token)
    assert token not in repr(grant.payload) and KNOWN_KEY not in repr(grant.payload)
