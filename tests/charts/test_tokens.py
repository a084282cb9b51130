"""tokens.py is pure: plain data in, a payload (and what failed closed) out (signing: test_tokens_sign.py)."""
from __future__ import annotations

from datetime import datetime, timezone

import jwt
import pytest

from charts import tokens
from charts.tokens import ChartSpec, RuleSpec

NOW = datetime(2026, 3, 1, 12, 0, 0, tzinfo=timezone.utc)
KEY = b"k" * 40
ACME = [RuleSpec("company_id", "acme")]


def plan(charts, rules=ACME, **kwargs) -> tokens.MintPlan:
    defaults = {"workspace_id": "ws-1", "tenant_slug": "acme", "user_id": 7, "now": NOW, "ttl_seconds": 900}
    defaults.update(kwargs)
    return tokens.build_payload(charts=charts, rules=rules, **defaults)


def chart(key, resource="sales", params=("company_id",), shared=False, filters=()) -> ChartSpec:
    return ChartSpec(key=key, resource=resource, tenant_params=tuple(params), shared=shared, filter_params=tuple(filters))


def test_payload_carries_workspace_name_and_lifetime() -> None:
    payload = plan([chart(1)], ttl_seconds=600).payload
    assert payload["workspace_id"] == "ws-1"
    assert payload["name"] == "panes:acme:7"
    assert payload["iat"] == int(NOW.timestamp())
    assert payload["exp"] == payload["iat"] + 600
    assert payload["scopes"] == [{"type": "PIPES:READ", "resource": "sales", "fixed_params": {"company_id": "acme"}}]


def test_it_makes_one_scope_per_distinct_pipe() -> None:
    result = plan([chart(1, "sales"), chart(2, "sales"), chart(3, "orders")])
    assert result.resources == ("sales", "orders")


def test_limits_appear_only_when_a_rate_is_set() -> None:
    assert "limits" not in plan([chart(1)]).payload
    assert "limits" not in plan([chart(1)], rps=None).payload
    assert plan([chart(1)], rps=5).payload["limits"] == {"rps": 5}


def test_a_pipe_specific_rule_wins_over_the_tenant_wide_one() -> None:
    rules = [RuleSpec("company_id", "acme"), RuleSpec("company_id", "acme-eu", resource="sales")]
    result = plan([chart(1, "sales"), chart(2, "orders")], rules=rules)
    fixed = {s["resource"]: s["fixed_params"] for s in result.payload["scopes"]}
    assert fixed == {"sales": {"company_id": "acme-eu"}, "orders": {"company_id": "acme"}}


def test_tenant_wide_rules_for_params_a_pipe_does_not_filter_by_are_left_out() -> None:
    rules = [RuleSpec("company_id", "acme"), RuleSpec("region", "eu"), RuleSpec("plan", "gold")]
    [scope] = plan([chart(1, "sales", ("company_id",))], rules=rules).payload["scopes"]
    assert scope["fixed_params"] == {"company_id": "acme"}


def test_a_tenant_wide_rule_fixes_a_filter_param_a_chart_declares() -> None:
    rules = [*ACME, RuleSpec("date_from", "2026-06-01"), RuleSpec("city", "Rome")]
    [scope] = plan([chart(1, filters=("date_from", "date_to"))], rules=rules).payload["scopes"]
    assert scope["fixed_params"] == {"company_id": "acme", "date_from": "2026-06-01"}


def test_a_filter_param_without_a_rule_stays_settable_and_fails_nothing() -> None:
    result = plan([chart(1, filters=("date_from",))])
    assert result.payload["scopes"][0]["fixed_params"] == {"company_id": "acme"}
    assert result.unconfigured == {}


def test_a_pipes_scope_fixes_the_filter_params_any_of_its_charts_declares() -> None:
    rules = [*ACME, RuleSpec("date_from", "2026-06-01")]
    result = plan([chart(1, "sales"), chart(2, "sales", filters=("date_from",)), chart(3, "orders")], rules=rules)
    fixed = {s["resource"]: s["fixed_params"] for s in result.payload["scopes"]}
    assert fixed == {"sales": {"company_id": "acme", "date_from": "2026-06-01"}, "orders": {"company_id": "acme"}}


def test_a_pipe_specific_rule_wins_over_a_tenant_wide_one_on_a_filter_param() -> None:
    rules = [*ACME, RuleSpec("date_from", "2026-06-01"), RuleSpec("date_from", "2026-01-01", resource="sales")]
    [scope] = plan([chart(1, filters=("date_from",))], rules=rules).payload["scopes"]
    assert scope["fixed_params"]["date_from"] == "2026-01-01"


def test_a_shared_charts_filter_param_is_fixed_by_a_tenant_wide_rule() -> None:
    rules = [RuleSpec("region", "eu")]
    result = plan([chart(1, "public_stats", params=(), shared=True, filters=("region",))], rules=rules)
    assert result.payload["scopes"][0]["fixed_params"] == {"region": "eu"}


def test_fixed_params_for_fixes_tenant_wide_rules_on_declared_filter_params() -> None:
    rules = [*ACME, RuleSpec("date_from", "2026-06-01"), RuleSpec("plan", "gold")]
    assert tokens.fixed_params_for("sales", ("company_id",), rules, filter_params=("date_from", "city")) == (
        {"company_id": "acme", "date_from": "2026-06-01"},
        (),
    )


def test_typed_rule_values_keep_their_type() -> None:
    [scope] = plan([chart(1, params=("company_id",))], rules=[RuleSpec("company_id", 42)]).payload["scopes"]
    assert scope["fixed_params"] == {"company_id": 42}


def test_a_missing_rule_fails_closed() -> None:
    result = plan([chart(1, "sales", ("company_id", "region"))])
    assert result.payload["scopes"] == []
    assert result.unconfigured == {1: ("region",)}


def test_a_chart_with_no_params_that_is_not_shared_gets_no_scope() -> None:
    result = plan([chart(1, "sales", params=())])
    assert result.payload["scopes"] == []
    assert 1 in result.unconfigured


def test_a_shared_chart_gets_a_scope_with_empty_fixed_params() -> None:
    result = plan([chart(1, "public_stats", params=(), shared=True)])
    assert result.payload["scopes"] == [{"type": "PIPES:READ", "resource": "public_stats", "fixed_params": {}}]
    assert result.unconfigured == {}


def test_two_charts_on_one_pipe_one_missing_a_param_leaves_the_pipe_without_scope() -> None:
    result = plan([chart(1, "sales", ("company_id",)), chart(2, "sales", ("company_id", "region"))])
    assert result.payload["scopes"] == []
    assert set(result.unconfigured) == {1, 2}


def test_a_shared_and_an_unshared_chart_on_one_pipe_need_the_filter() -> None:
    result = plan([chart(1, "sales", (), shared=True), chart(2, "sales", params=())])
    assert result.payload["scopes"] == []
    assert set(result.unconfigured) == {2}


def test_one_tenants_values_never_reach_another_tenants_payload() -> None:
    payload = plan([chart(1)], rules=[RuleSpec("company_id", "globex")], tenant_slug="globex").payload
    assert payload["name"] == "panes:globex:7"
    assert "acme" not in repr(payload)


def test_key_errors_name_the_variable_never_the_key() -> None:
    with pytest.raises(tokens.SigningKeyError, match="MY_KEY") as missing:
        tokens.check_signing_key(None, "MY_KEY")
    with pytest.raises(tokens.SigningKeyError) as short:
        tokens.check_signing_key("short-secret-value", "MY_KEY")
    assert "short-secret-value" not in str(short.value)
    assert "MY_KEY" in str(missing.value)
    assert tokens.check_signing_key("s" * 32, "MY_KEY") == b"s" * 32


def test_the_scopes_digest_ignores_times_but_not_scopes() -> None:
    first = plan([chart(1)]).payload
    later = plan([chart(1)], now=datetime(2026, 3, 2, tzinfo=timezone.utc)).payload
    other = plan([chart(1)], rules=[RuleSpec("company_id", "other")]).payload
    assert tokens.scopes_digest(first) == tokens.scopes_digest(later)
    assert tokens.scopes_digest(first) != tokens.scopes_digest(other)


def test_the_fingerprint_is_the_sha256_of_the_token() -> None:
    import hashlib

    token = jwt.encode(plan([chart(1)]).payload, KEY, algorithm=tokens.ALGORITHM)
    assert tokens.fingerprint(token) == hashlib.sha256(token.encode()).hexdigest()
