"""Minting a chart's drill-through: its detail pipe gets a scope with the fixed params a chart
scope would carry, or no scope (and no drill) when the tenant cannot be held to them."""
from __future__ import annotations

from datetime import datetime, timezone

from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from charts import tokens
from charts.tokens import ChartSpec, RuleSpec
from tests.support.examples import examples

NOW = datetime(2026, 3, 1, 12, 0, 0, tzinfo=timezone.utc)
ACME = [RuleSpec("company_id", "acme")]


def plan(charts, rules=ACME) -> tokens.MintPlan:
    return tokens.build_payload(
        workspace_id="ws-1", tenant_slug="acme", user_id=7, charts=charts, rules=rules, now=NOW, ttl_seconds=900
    )


def drilling(key=1, resource="top_products", detail="orders_detail", drills=("product", "city"), **kwargs) -> ChartSpec:
    kwargs.setdefault("tenant_params", ("company_id",))
    kwargs.setdefault("filter_params", ("date_from", "date_to"))
    return ChartSpec(key=key, resource=resource, detail_resource=detail, drill_params=tuple(drills), **kwargs)


def scopes_of(mint: tokens.MintPlan) -> dict[str, dict]:
    return {scope["resource"]: scope["fixed_params"] for scope in mint.payload["scopes"]}


def test_the_detail_pipe_gets_the_charts_fixed_params() -> None:
    mint = plan([drilling()])
    assert scopes_of(mint) == {"top_products": {"company_id": "acme"}, "orders_detail": {"company_id": "acme"}}
    assert mint.no_drill == frozenset()
    assert list(scopes_of(mint)) == ["top_products", "orders_detail"]  # the charts' own scopes first


def test_rules_for_the_detail_pipe_and_tenant_wide_rules_on_its_params_go_in() -> None:
    rules = [*ACME, RuleSpec("region", "eu", "orders_detail"), RuleSpec("date_to", "2026-06-30"), RuleSpec("tier", "gold")]
    fixed = scopes_of(plan([drilling()], rules))["orders_detail"]
    assert fixed == {"company_id": "acme", "region": "eu", "date_to": "2026-06-30"}  # tier: nobody declares it


def test_a_tenant_without_a_rule_for_the_detail_pipe_gets_no_scope_and_no_drill_but_its_chart() -> None:
    mint = plan([drilling(tenant_params=("company_id", "region"))], [*ACME, RuleSpec("region", "eu", "top_products")])
    assert scopes_of(mint) == {"top_products": {"company_id": "acme", "region": "eu"}}
    assert mint.no_drill == {1} and mint.unconfigured == {}


def test_a_drill_param_the_rules_fix_is_never_offered() -> None:
    for rule in (RuleSpec("city", "Paris"), RuleSpec("city", "Paris", "orders_detail")):
        mint = plan([drilling()], [*ACME, rule])
        assert "orders_detail" not in scopes_of(mint) and mint.no_drill == {1}
        assert not tokens.drill_offered(drilling(), [*ACME, rule])
    # A rule on the chart's own pipe does not reach the detail pipe: the drill stays.
    assert tokens.drill_offered(drilling(), [*ACME, RuleSpec("city", "Paris", "top_products")])


def test_a_drill_param_that_is_a_tenant_param_is_never_offered() -> None:
    assert not tokens.drill_offered(drilling(drills=("company_id",)), ACME)
    assert plan([drilling(drills=("company_id",))]).no_drill == {1}


def test_a_chart_that_failed_closed_offers_no_drill() -> None:
    mint = plan([drilling(tenant_params=("company_id", "org"))])
    assert mint.unconfigured == {1: ("org",)} and mint.no_drill == {1} and mint.payload["scopes"] == []


def test_a_detail_pipe_never_makes_a_chart_fail_closed() -> None:
    # The detail pipe is another chart's, which needs a param the tenant lacks: that chart fails,
    # the drill into it is not offered, the drilling chart still draws.
    other = ChartSpec(key=2, resource="orders_detail", tenant_params=("company_id", "org"))
    mint = plan([drilling(), other])
    assert scopes_of(mint) == {"top_products": {"company_id": "acme"}}
    assert mint.unconfigured == {2: ("org",)} and mint.no_drill == {1}


def test_a_detail_pipe_that_is_a_charts_own_shares_its_scope() -> None:
    other = ChartSpec(key=2, resource="orders_detail", tenant_params=("company_id",), filter_params=("region",))
    rules = [*ACME, RuleSpec("region", "eu"), RuleSpec("date_from", "2026-01-01")]
    mint = plan([drilling(), other], rules)
    assert [s["resource"] for s in mint.payload["scopes"]] == ["top_products", "orders_detail"]
    # The union of both needs: the chart's region and the drill's date_from.
    assert scopes_of(mint)["orders_detail"] == {"company_id": "acme", "region": "eu", "date_from": "2026-01-01"}


def test_drilling_into_its_own_pipe_is_one_scope() -> None:
    mint = plan([drilling(resource="sales", detail="sales", drills=("day",))])
    assert mint.payload["scopes"] == [{"type": "PIPES:READ", "resource": "sales", "fixed_params": {"company_id": "acme"}}]


def test_a_chart_without_params_that_is_not_shared_drills_nowhere() -> None:
    spec = drilling(tenant_params=())
    assert not tokens.drill_offered(spec, ACME) and plan([spec]).payload["scopes"] == []


def test_a_shared_chart_drills_only_into_its_own_pipe() -> None:
    own = drilling(resource="catalogue", detail="catalogue", tenant_params=(), shared=True)
    assert tokens.drill_offered(own, ACME)
    assert plan([own]).payload["scopes"] == [{"type": "PIPES:READ", "resource": "catalogue", "fixed_params": {}}]
    other = drilling(resource="catalogue", detail="orders_detail", tenant_params=(), shared=True)
    mint = plan([other])
    assert not tokens.drill_offered(other, ACME) and mint.no_drill == {1}
    assert [s["resource"] for s in mint.payload["scopes"]] == ["catalogue"]


# --- properties -----------------------------------------------------------------------------------

PARAMS = ("company_id", "region", "city", "product", "date_from")
PIPES = ("sales", "top_products", "orders_detail")
rule = st.builds(RuleSpec, st.sampled_from(PARAMS), st.sampled_from(["a", "b", 1]), st.sampled_from((None, *PIPES)))
params = st.lists(st.sampled_from(PARAMS), unique=True, max_size=3).map(tuple)
spec = st.builds(
    ChartSpec,
    key=st.integers(0, 5),
    resource=st.sampled_from(PIPES),
    tenant_params=params,
    shared=st.booleans(),
    filter_params=params,
    detail_resource=st.sampled_from((None, *PIPES)),
    drill_params=params,
)


@hsettings(max_examples=examples(500))
@given(charts=st.lists(spec, max_size=4, unique_by=lambda c: c.key), rules=st.lists(rule, max_size=6))
def test_every_detail_scope_holds_what_each_drilling_charts_own_scope_would(charts, rules) -> None:
    mint = plan(charts, rules)
    scopes = scopes_of(mint)
    alone = {c.key: tokens.detail_fixed_params(c, rules) for c in charts if c.detail_resource}
    for chart in charts:
        if chart.detail_resource is None:
            continue
        if chart.key in mint.no_drill:
            continue
        # An offered drill: its pipe has a scope holding every fixed param of the chart's
        # detail scope alone, with its value, and every tenant param of the chart is fixed there.
        fixed, missing = alone[chart.key]
        assert not missing and tokens.drill_offered(chart, rules) and chart.key not in mint.unconfigured
        held = scopes[chart.detail_resource]
        assert fixed.items() <= held.items()
        assert set(chart.tenant_params) <= set(held)
        assert not set(chart.drill_params) & (set(held) | set(chart.tenant_params))


@hsettings(max_examples=examples(500))
@given(charts=st.lists(spec, max_size=4, unique_by=lambda c: c.key), rules=st.lists(rule, max_size=6))
def test_drilling_never_changes_what_the_charts_themselves_get(charts, rules) -> None:
    without = plan([ChartSpec(c.key, c.resource, c.tenant_params, c.shared, c.filter_params) for c in charts], rules)
    with_drills = plan(charts, rules)
    assert with_drills.unconfigured == without.unconfigured
    before, after = scopes_of(without), scopes_of(with_drills)
    for resource, fixed in before.items():
        assert fixed.items() <= after[resource].items()  # a shared scope only ever gains fixed params
    for resource in set(after) - set(before):
        assert any(c.detail_resource == resource and c.key not in with_drills.no_drill for c in charts)
