"""Property-based tests of tenant isolation: random tenants, rules, charts and dashboards.

The expectation is computed by a small reference model written here, independently of
``charts.tokens``: per pipe, the params its charts need and the filter params they declare; a rule
for that pipe wins over a tenant-wide one; a tenant-wide rule is fixed for every declared param; a
pipe missing a rule for a needed param gets no scope.

- The pure layer (``tokens.build_payload``) runs on thousands of generated examples.
- A smaller database-backed property builds real models, plans with ``grants.plan_for`` and asks
  the real ``/d/<slug>/token.json`` view as a member of one tenant: the token carries exactly the
  expected scopes, and only that tenant's values.
- The filter bar and the token agree: a param a chart declares is hidden from viewers
  (``filters.excluded_params``) exactly when its pipe's scope fixes it, with the rule's value.

Every value a rule holds is tagged with its tenant, so "another tenant's value" is decidable.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta, timezone

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from charts import filters, grants, isolation, tokens
from charts.models import Chart, Dashboard, DashboardChart, Membership, Tenant, TenantFilterRule, Workspace
from charts.tokens import ChartSpec, RuleSpec
from tests.charts.builders import KNOWN_KEY, decode
from tests.conftest import LOCAL_KEY_ENV, REMOTE_KEY_ENV
from tests.support.examples import examples

PARAMS = ("company_id", "region", "org", "tier")
RESOURCES = ("sales", "cities", "kpis", "t_" + "a" * 32)
EPOCH = datetime(2020, 1, 1, tzinfo=timezone.utc)


# --- the reference model --------------------------------------------------------------------------


def expected_payload(charts: Sequence[ChartSpec], rules: Sequence[RuleSpec]) -> tuple[dict[str, dict], dict]:
    """(resource -> fixed params, chart key -> set of missing params) for one tenant's page.

    Rules are assumed unique per (param, resource), as generated; a later duplicate would win.
    """
    scopes: dict[str, dict] = {}
    unconfigured: dict = {}
    for resource in dict.fromkeys(c.resource for c in charts):
        on_pipe = [c for c in charts if c.resource == resource]
        needed = {p for c in on_pipe for p in c.tenant_params}
        declared = needed | {p for c in on_pipe for p in c.filter_params}
        own = {r.param: r.value for r in rules if r.resource == resource}
        wide = {r.param: r.value for r in rules if r.resource is None}
        # Rules set for exactly this pipe always go in; tenant-wide ones for every declared param.
        fixed = {**{p: wide[p] for p in declared if p in wide and p not in own}, **own}
        if not needed:
            if all(c.shared for c in on_pipe):
                scopes[resource] = fixed
            else:
                unconfigured.update({c.key: set() for c in on_pipe if not c.shared})
            continue
        missing = {p for p in needed if p not in own and p not in wide}
        if missing:
            unconfigured.update({c.key: missing for c in on_pipe})
            continue
        scopes[resource] = fixed
    return scopes, unconfigured


def owner_of(value: object) -> int:
    """The tenant index a generated value was tagged with."""
    if isinstance(value, str):
        return int(value.split(":", 1)[0][1:])
    return int(value) // 1_000_000


# --- strategies -----------------------------------------------------------------------------------


RULE_TARGETS = tuple((p, r) for p in PARAMS for r in (None, *RESOURCES))
# Values are opaque to minting: a few shapes of text are enough (the fuzz tests try the rest).
TEXTS = st.sampled_from(["x", "é☃", "a'b", "1 OR 1=1", "%00", "\x00", " pad "])


def tagged(index: int, kind: str, n: int, text: str = "x") -> object:
    """A rule value only tenant ``index`` holds: text, a whole number or a float."""
    if kind == "int":
        return index * 1_000_000 + n
    if kind == "float":
        return index * 1_000_000 + n + 0.5
    return f"t{index}:{text}"


# Values stored in the database: no NUL (PostgreSQL refuses it), no edge spaces (rules strip them).
DB_TEXTS = st.sampled_from(["x", "é☃", "a'b", "1 OR 1=1", "%", "y z"])


def tenant_value(index: int) -> st.SearchStrategy:
    return st.builds(tagged, st.just(index), st.sampled_from(["str", "int", "float"]), st.integers(0, 999_998), DB_TEXTS)


def tenant_rules(index: int) -> st.SearchStrategy:
    """A tenant's rules, unique per (param, pipe) as the database keeps them (None: tenant-wide)."""
    entries = st.lists(
        st.tuples(st.sampled_from(RULE_TARGETS), st.sampled_from(["str", "int", "float"]), st.integers(0, 999_998), TEXTS),
        unique_by=lambda e: e[0],
        max_size=6,
    )
    return entries.map(lambda es: [RuleSpec(p, tagged(index, kind, n, text), r) for (p, r), kind, n, text in es])


@st.composite
def chart_specs(draw) -> list[ChartSpec]:
    raw = draw(
        st.lists(
            st.tuples(
                st.sampled_from(RESOURCES),
                st.lists(st.sampled_from(PARAMS), unique=True, max_size=3),
                st.integers(0, 3),
                st.lists(st.sampled_from(PARAMS), unique=True, max_size=3),
            ),
            max_size=8,
        )
    )
    # One chart in four is shared (no tenant params), as the model keeps shared charts param-free.
    return [
        ChartSpec(
            key=key,
            resource=resource,
            tenant_params=() if roll == 0 else tuple(params),
            shared=roll == 0,
            filter_params=tuple(filter_params),
        )
        for key, (resource, params, roll, filter_params) in enumerate(raw)
    ]


@st.composite
def pure_worlds(draw) -> tuple[list[list[RuleSpec]], list[ChartSpec], list[list[ChartSpec]]]:
    tenants = draw(st.integers(1, 4))
    rules = [draw(tenant_rules(i)) for i in range(tenants)]
    charts = draw(chart_specs())
    picks = draw(st.lists(st.lists(st.integers(0, 7), unique=True, max_size=6), min_size=1, max_size=3))
    dashboards = [[charts[i] for i in pick if i < len(charts)] for pick in picks]
    return rules, charts, dashboards


# --- the pure layer -------------------------------------------------------------------------------


@settings(max_examples=examples(1200), deadline=None)
@given(world=pure_worlds(), user_id=st.integers(1, 10**9), ttl=st.integers(1, 86_400), rps=st.none() | st.integers(1, 1000))
def test_every_token_carries_exactly_the_intended_scopes_and_only_its_tenants_values(world, user_id, ttl, rps) -> None:
    rules_by_tenant, _, dashboards = world
    for index, rules in enumerate(rules_by_tenant):
        for board in dashboards:
            plan = tokens.build_payload(
                workspace_id="ws", tenant_slug=f"t{index}", user_id=user_id, charts=board, rules=rules,
                now=EPOCH, ttl_seconds=ttl, rps=rps,
            )
            scopes, unconfigured = expected_payload(board, rules)
            payload = plan.payload
            assert payload["name"] == f"panes:t{index}:{user_id}"
            assert payload["exp"] - payload["iat"] == ttl
            assert payload.get("limits") == ({"rps": rps} if rps else None)
            assert [s["type"] for s in payload["scopes"]] == ["PIPES:READ"] * len(payload["scopes"])
            got = {s["resource"]: s["fixed_params"] for s in payload["scopes"]}
            assert len(got) == len(payload["scopes"]), "one scope per pipe"
            assert got == scopes
            assert {k: set(v) for k, v in plan.unconfigured.items()} == unconfigured
            for fixed in got.values():
                assert {owner_of(v) for v in fixed.values()} <= {index}, "another tenant's value"
            # No scope at all where a rule is missing: not even a less filtered one.
            for chart in board:
                if unconfigured.get(chart.key):
                    assert chart.resource not in got


@settings(max_examples=examples(300), deadline=None)
@given(world=pure_worlds())
def test_the_audit_flags_two_tenants_exactly_when_their_tokens_agree_on_a_pipe(world) -> None:
    """Tenants' values are disjoint by construction, so no pair ever overlaps; when one tenant's
    rules are copied to another, every pipe both get a filtered scope on is flagged."""
    rules_by_tenant, charts, _ = world
    infos = [
        isolation.ChartInfo(key=c.key, title=f"c{c.key}", workspace="ws", pipe=c.resource, resource=c.resource,
                            tenant_params=c.tenant_params, shared=c.shared)
        for c in charts
    ]

    def rows(slug: str, rules: list[RuleSpec]) -> list[isolation.Row]:
        plan = tokens.build_payload(workspace_id="ws", tenant_slug=slug, user_id=0, charts=charts, rules=rules,
                                    now=EPOCH, ttl_seconds=60)
        return isolation.rows_for(dashboard="d", tenant=slug, charts=infos, plan=plan)

    own = [row for i, rules in enumerate(rules_by_tenant) for row in rows(f"t{i}", rules)]
    assert isolation.overlap_findings(own) == []
    copied = rows("t0", rules_by_tenant[0]) + rows("copy", rules_by_tenant[0])
    flagged = {f.pipe for f in isolation.overlap_findings(copied)}
    assert flagged == {r.chart.pipe for r in copied if r.status == isolation.FILTERED and r.fixed_params}


# --- the filter bar and the token agree -----------------------------------------------------------

# Params a rule may fix or a chart declare; date_from is the usual filter a tenant-wide rule fixes.
UI_PARAMS = ("company_id", "region", "date_from", "city")
BAD_FILTER_PARAMS = "date_from, not a name"  # a stored value that no longer validates: declares none


@st.composite
def ui_worlds(draw) -> tuple[list[Chart], list[TenantFilterRule], list[Chart]]:
    """Unsaved charts on one workspace (some sharing a pipe), one tenant's rules, and the charts of
    one page. Nothing touches the database: the objects carry their pk and related objects."""
    workspace = Workspace(pk=1, name="ws", workspace_id="ws", default_tenant_params="company_id")
    charts = []
    for pk in range(1, draw(st.integers(1, 6)) + 1):
        shared = draw(st.integers(0, 4)) == 0
        filter_params = draw(
            st.just(BAD_FILTER_PARAMS) | st.lists(st.sampled_from(UI_PARAMS), unique=True, max_size=3).map(",".join)
        )
        pipe = draw(st.sampled_from(["sales", "cities", "kpis"]))
        charts.append(
            Chart(
                pk=pk,
                workspace=workspace,
                title=f"chart {pk}",
                pipe_name=pipe,
                pipe_id=("t_" + f"{ord(pipe[0]):032x}") if draw(st.booleans()) else "",
                tenant_params="" if shared else draw(st.sampled_from(["", "company_id", "company_id,region", "region"])),
                is_shared=shared,
                filter_params=filter_params,
            )
        )
    rules = [
        TenantFilterRule(param=param, value=text, value_type=kind, chart=None if target is None else charts[target])
        for (param, target), (text, kind) in draw(
            st.lists(
                st.tuples(
                    st.tuples(st.sampled_from(UI_PARAMS), st.none() | st.integers(0, len(charts) - 1)),
                    tenant_value(0).map(_rule_value_and_type),
                ),
                unique_by=lambda entry: entry[0],  # one rule per (param, chart), as the database keeps them
                max_size=8,
            )
        )
    ]
    page = draw(st.lists(st.sampled_from(charts), unique_by=lambda c: c.pk, min_size=1))
    return charts, rules, page


def declared_filter_params(chart: Chart) -> tuple[str, ...]:
    try:
        return chart.filter_params.validated()
    except ValidationError:
        return ()


def rule_values(rules: Sequence[TenantFilterRule], param: str, resource: str) -> set:
    """The values a token may hold for ``param`` on ``resource``: those of the rules for that pipe
    (two charts on one pipe may each have one), else the tenant-wide one."""
    own = {r.typed_value for r in rules if r.chart_id and r.param == param and r.chart.scope_resource == resource}
    return own or {r.typed_value for r in rules if r.chart_id is None and r.param == param}


@settings(max_examples=examples(400), deadline=None)
@given(world=ui_worlds())
def test_the_filter_bar_hides_exactly_the_declared_params_the_token_fixes(world) -> None:
    _, rules, page = world
    plan = tokens.build_payload(
        workspace_id="ws", tenant_slug="t0", user_id=1, charts=grants.chart_specs(page), rules=grants.rule_specs(rules),
        now=EPOCH, ttl_seconds=60,
    )
    scopes = {scope["resource"]: scope["fixed_params"] for scope in plan.payload["scopes"]}
    for chart in page:
        if chart.scope_resource not in scopes:
            continue
        fixed = scopes[chart.scope_resource]
        excluded = filters.excluded_params(chart, rules)
        for param in {*chart.tenant_param_names, *declared_filter_params(chart)}:
            # Hidden from viewers exactly when the token fixes it: never one the host overrides
            # anyway, never one a viewer could set past a rule.
            assert (param in excluded) == (param in fixed), param
            if param in fixed:
                assert fixed[param] in rule_values(rules, param, chart.scope_resource)
        assert not set(filters.chart_params(chart, rules)) & set(fixed)


# --- through the database and the real views ------------------------------------------------------


@st.composite
def db_worlds(draw) -> dict:
    tenants = draw(st.integers(2, 3))
    charts = []
    for i in range(draw(st.integers(1, 4))):
        shared = draw(st.integers(0, 4)) == 0
        charts.append(
            {
                "remote": draw(st.booleans()),
                "pipe": draw(st.sampled_from(["sales", "cities", "kpis"])),
                "use_id": draw(st.booleans()),
                "params": "" if shared else draw(st.sampled_from(["", "company_id", "company_id,region", "region"])),
                "shared": shared,
                "filters": draw(st.sampled_from(["", "region", "date_from,region", "company_id"])),
            }
        )
    rules = []
    for t in range(tenants):
        for param in sorted(draw(st.sets(st.sampled_from(["company_id", "region"])))):
            rules.append((t, param, None, draw(tenant_value(t))))
        for param, chart in sorted(draw(st.sets(st.tuples(st.sampled_from(["company_id", "region"]), st.integers(0, len(charts) - 1)), max_size=2))):
            rules.append((t, param, chart, draw(tenant_value(t))))
    dashboards = [
        {
            "all": draw(st.booleans()),
            "tenants": draw(st.sets(st.integers(0, tenants - 1))),
            "charts": draw(st.lists(st.integers(0, len(charts) - 1), unique=True, min_size=1, max_size=4)),
        }
        for _ in range(draw(st.integers(1, 2)))
    ]
    member_of = draw(st.lists(st.integers(0, tenants - 1), unique=True, min_size=1, max_size=2))
    return {"tenants": tenants, "charts": charts, "rules": rules, "dashboards": dashboards, "member_of": member_of}


def _rule_value_and_type(value: object) -> tuple[str, str]:
    if isinstance(value, str):
        return value, TenantFilterRule.ValueType.STRING
    if isinstance(value, float):
        return repr(value), TenantFilterRule.ValueType.FLOAT
    return str(value), TenantFilterRule.ValueType.INTEGER


def build(world: dict) -> dict:
    """The world as real rows; returns the objects the assertions need."""
    local = Workspace.objects.create(name="local", workspace_id="ws-local", api_host="", signing_key_env=LOCAL_KEY_ENV)
    remote = Workspace.objects.create(
        name="remote", workspace_id="ws-remote", api_host="https://api.tinybird.co", signing_key_env=REMOTE_KEY_ENV
    )
    tenants = [Tenant.objects.create(name=f"T{i}", slug=f"t{i}") for i in range(world["tenants"])]
    charts = [
        Chart.objects.create(
            workspace=remote if c["remote"] else local,
            title=f"chart {i}",
            pipe_name=c["pipe"],
            pipe_id=("t_" + f"{ord(c['pipe'][0]):032x}") if c["use_id"] else "",
            tenant_params=c["params"],
            is_shared=c["shared"],
            filter_params=c["filters"],
            index_column="day",
            category_columns="total",
        )
        for i, c in enumerate(world["charts"])
    ]
    for t, param, chart, value in world["rules"]:
        text, kind = _rule_value_and_type(value)
        TenantFilterRule.objects.create(
            tenant=tenants[t], param=param, value=text, value_type=kind, chart=charts[chart] if chart is not None else None
        )
    boards = []
    for i, spec in enumerate(world["dashboards"]):
        board = Dashboard.objects.create(title=f"B{i}", slug=f"b{i}", visible_to_all=spec["all"])
        board.tenants.set([tenants[t] for t in spec["tenants"]])
        for position, c in enumerate(spec["charts"]):
            DashboardChart.objects.create(dashboard=board, chart=charts[c], position=position)
        boards.append(board)
    user = get_user_model().objects.create_user(username="member")
    for t in world["member_of"]:
        Membership.objects.create(user=user, tenant=tenants[t])
    return {"tenants": tenants, "charts": charts, "boards": boards, "user": user, "workspaces": {local.pk: local, remote.pk: remote}}


def reference_for(world: dict, objects: dict, tenant: int, board: int) -> dict[int, tuple[dict, dict]]:
    """Workspace pk -> (resource -> {param: allowed values}, chart pk -> missing), from the
    generated world only. Two per-chart rules may fix one param of one pipe (charts sharing a
    pipe): the token then holds one of them, so each param maps to the values allowed."""
    charts = objects["charts"]
    specs_by_ws: dict[int, list[ChartSpec]] = {}
    for c in world["dashboards"][board]["charts"]:
        chart = charts[c]
        params = () if chart.is_shared else tuple(chart.tenant_params) or ("company_id",)
        filter_params = tuple(p for p in world["charts"][c]["filters"].split(",") if p)
        specs_by_ws.setdefault(chart.workspace_id, []).append(
            ChartSpec(
                key=chart.pk,
                resource=chart.pipe_id or chart.pipe_name,
                tenant_params=params,
                shared=chart.is_shared,
                filter_params=filter_params,
            )
        )
    result = {}
    for ws, specs in specs_by_ws.items():
        options: dict[tuple[str, str | None], set] = {}
        for t, param, chart, value in world["rules"]:
            if t == tenant:
                resource = None if chart is None else (charts[chart].pipe_id or charts[chart].pipe_name)
                options.setdefault((param, resource), set()).add(value)
        # Any one choice per (param, resource) gives the same scope shape; then widen the values.
        chosen = [RuleSpec(p, next(iter(v)), r) for (p, r), v in options.items()]
        scopes, unconfigured = expected_payload(specs, chosen)
        allowed = {
            resource: {p: options.get((p, resource)) or options[(p, None)] for p in fixed}
            for resource, fixed in scopes.items()
        }
        result[ws] = (allowed, unconfigured)
    return result


def assert_matches(payload: dict, allowed: dict, tenant: int) -> None:
    got = {s["resource"]: s["fixed_params"] for s in payload["scopes"]}
    assert set(got) == set(allowed)
    for resource, fixed in got.items():
        assert set(fixed) == set(allowed[resource])
        for param, value in fixed.items():
            assert value in allowed[resource][param]
            assert owner_of(value) == tenant, f"{param}={value!r} belongs to another tenant"


@pytest.mark.django_db
@settings(max_examples=examples(100), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(world=db_worlds())
def test_a_member_gets_exactly_their_tenants_scopes_from_the_real_views(world, monkeypatch) -> None:
    monkeypatch.setenv(LOCAL_KEY_ENV, KNOWN_KEY)
    monkeypatch.setenv(REMOTE_KEY_ENV, KNOWN_KEY)
    with transaction.atomic():
        objects = build(world)
        tenants, boards = objects["tenants"], objects["boards"]
        now = datetime.now(timezone.utc)

        # grants.plan_for, for every tenant and dashboard (what the admin preview and the pages use).
        for t, tenant in enumerate(tenants):
            rules = grants.tenant_rules(tenant)
            for b, board in enumerate(boards):
                reference = reference_for(world, objects, t, b)
                for ws_pk, (allowed, unconfigured) in reference.items():
                    ws_charts = [tile.chart for tile in board.tiles.select_related("chart__workspace") if tile.chart.workspace_id == ws_pk]
                    plan = grants.plan_for(
                        tenant=tenant, user_id=1, workspace=objects["workspaces"][ws_pk], charts=ws_charts, rules=rules, now=now
                    )
                    assert_matches(plan.payload, allowed, t)
                    assert {k: set(v) for k, v in plan.unconfigured.items()} == unconfigured

        # The real token.json, as the member, for each of their tenants in turn.
        client = Client()
        client.force_login(objects["user"])
        for outsider in (t for t in range(len(tenants)) if t not in world["member_of"]):
            assert client.post(reverse("charts:switch_tenant"), {"tenant": tenants[outsider].pk}).status_code == 404
        for t in world["member_of"]:
            assert client.post(reverse("charts:switch_tenant"), {"tenant": tenants[t].pk}).status_code == 302
            for b, board in enumerate(boards):
                response = client.get(reverse("charts:dashboard_token", args=[board.slug]))
                spec = world["dashboards"][b]
                if not (spec["all"] or t in spec["tenants"]):
                    assert response.status_code == 404
                    continue
                assert response.status_code == 200, response.content
                body = response.json()
                assert body["tenant"] == f"t{t}"
                reference = reference_for(world, objects, t, b)
                expected_tokens = {str(ws) for ws, (allowed, _) in reference.items() if allowed}
                assert set(body["workspaces"]) == expected_tokens
                for ws, grant in body["workspaces"].items():
                    claims = decode(grant["token"])
                    assert claims["name"] == f"panes:t{t}:{objects['user'].pk}"
                    assert claims["workspace_id"] == objects["workspaces"][int(ws)].workspace_id
                    assert_matches(claims, reference[int(ws)][0], t)
                failed = set()
                for ws, (allowed, unconfigured) in reference.items():
                    on_ws = {objects["charts"][c].pk for c in spec["charts"] if objects["charts"][c].workspace_id == ws}
                    failed |= on_ws if not allowed else set(unconfigured)
                assert set(body["unconfigured"]) == failed
        transaction.set_rollback(True)
