"""tokens.sign makes exactly the token PyJWT makes, so every verifier (Tinybird, pipes.auth) reads it."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import datetime, timezone

import jwt
import pytest

from charts import tokens

KEY = b"p." + b"s" * 46


def payload(scopes: int = 3, **extra) -> dict:
    charts = [tokens.ChartSpec(key=i, resource=f"pipe_{i}", tenant_params=("company_id",)) for i in range(scopes)]
    rules = [tokens.RuleSpec("company_id", "acmé ☃"), tokens.RuleSpec("region", 7, resource="pipe_0")]
    return tokens.build_payload(
        workspace_id="00000000-0000-4000-8000-00000000fa9e",
        tenant_slug="acme",
        user_id=42,
        charts=charts,
        rules=rules,
        now=datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc),
        ttl_seconds=900,
        **extra,
    ).payload


@pytest.mark.parametrize("scopes", [0, 1, 8, 32])
def test_it_signs_byte_for_byte_what_pyjwt_signs(scopes: int) -> None:
    claims = payload(scopes, rps=5)
    assert tokens.sign(claims, KEY) == jwt.encode(claims, KEY, algorithm="HS256")


def test_pyjwt_decodes_it_to_the_payload_with_hs256_and_the_key() -> None:
    claims = payload()
    token = tokens.sign(claims, KEY)
    decoded = jwt.decode(token, KEY, algorithms=["HS256"], options={"verify_exp": False})
    assert decoded == claims
    assert jwt.get_unverified_header(token) == {"alg": "HS256", "typ": "JWT"}


def test_its_signature_is_hmac_sha256_of_the_first_two_segments() -> None:
    token = tokens.sign(payload(), KEY)
    header, body, signature = token.split(".")
    expected = hmac.new(KEY, f"{header}.{body}".encode(), hashlib.sha256).digest()
    assert base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4)) == expected
    assert "=" not in token  # base64url without padding, as JWTs are


def test_another_key_does_not_verify_it() -> None:
    token = tokens.sign(payload(), KEY)
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(token, b"x" * 48, algorithms=["HS256"], options={"verify_exp": False})


def test_it_writes_compact_json_with_non_ascii_escaped() -> None:
    token = tokens.sign(payload(1), KEY)
    body = token.split(".")[1]
    raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)).decode("ascii")
    assert ", " not in raw and ": " not in raw
    assert json.loads(raw)["scopes"][0]["fixed_params"]["company_id"] == "acmé ☃"


def test_it_accepts_any_mapping() -> None:
    from types import MappingProxyType

    claims = payload(1)
    assert tokens.sign(MappingProxyType(claims), KEY) == tokens.sign(claims, KEY)
