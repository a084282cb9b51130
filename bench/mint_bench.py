"""1. Minting: microseconds per token (charts.tokens.build_payload + PyJWT's HS256 encode, as
grants.sign_and_record signs) for 1, 8 and 32 scopes.

Pure Python, in this process: no Django request, no database. A figure, not a goal.
"""
from __future__ import annotations

import timeit
from datetime import datetime, timezone

from _common import Section

KEY = b"p." + b"k" * 46  # any 48-byte admin token


def _specs(scopes: int):
    from charts import tokens

    charts = [tokens.ChartSpec(key=i, resource=f"pipe_{i:02d}", tenant_params=("company_id",)) for i in range(scopes)]
    rules = [tokens.RuleSpec("company_id", "acme"), tokens.RuleSpec("region", "eu")]
    return charts, rules


def run(section: Section, *, quick: bool = False) -> None:
    import jwt

    from charts import tokens

    now = datetime.now(timezone.utc)
    number, repeat = (500, 3) if quick else (2000, 15)
    for scopes in (1, 8, 32):
        charts, rules = _specs(scopes)

        def mint() -> str:
            payload = tokens.build_payload(
                workspace_id="00000000-0000-4000-8000-00000000fa9e",
                tenant_slug="acme",
                user_id=42,
                charts=charts,
                rules=rules,
                now=now,
                ttl_seconds=900,
            ).payload
            return jwt.encode(payload, KEY, algorithm=tokens.ALGORITHM)

        token = mint()
        assert len(jwt.decode(token, KEY, algorithms=["HS256"])["scopes"]) == scopes
        best = min(timeit.repeat(mint, number=number, repeat=repeat)) / number * 1e6
        section.add(
            f"{scopes} scope{'s' if scopes > 1 else ''}: build_payload + jwt.encode",
            f"{best:.1f} µs/token (token {len(token)} B)",
        )
    section.note(f"Best of {repeat} rounds of {number:,} calls, one process.")
