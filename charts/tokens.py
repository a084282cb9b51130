"""Token minting: a pure function from plain data to a Tinybird JWT payload, and its signature
(PyJWT, HS256).

No request, no ORM, no settings inside: callers pass plain values, so every rule here can be
tested in isolation. Failing closed is decided here and only here: a pipe whose tenant params are
not all covered by the tenant's rules gets no scope at all.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

import jwt

ALGORITHM = "HS256"
MIN_KEY_BYTES = 32
SCOPE_TYPE = "PIPES:READ"

ParamValue = str | int | float | bool


@dataclass(frozen=True)
class ChartSpec:
    """What minting needs to know of a chart."""

    key: int | str  # the chart's id, to report which charts failed closed
    resource: str  # pipe id when known, else pipe name
    tenant_params: tuple[str, ...]  # empty only for charts explicitly shared by every tenant
    shared: bool = False
    # Params viewers may set (Chart.filter_params): a tenant-wide rule on one fixes it instead.
    filter_params: tuple[str, ...] = ()
    # The pipe a click on the chart drills into (None: no drill-through), and the params clicks set.
    detail_resource: str | None = None
    drill_params: tuple[str, ...] = ()


@dataclass(frozen=True)
class RuleSpec:
    """One tenant filter rule; ``resource`` None applies it to every pipe."""

    param: str
    value: ParamValue
    resource: str | None = None


@dataclass(frozen=True)
class MintPlan:
    payload: dict
    # chart key -> params the tenant has no rule for (those charts got no scope)
    unconfigured: Mapping[int | str, tuple[str, ...]] = field(default_factory=dict)
    # keys of the charts with a drill-through that is not offered (no scope for its detail pipe)
    no_drill: frozenset[int | str] = frozenset()

    @property
    def resources(self) -> tuple[str, ...]:
        return tuple(scope["resource"] for scope in self.payload["scopes"])


class SigningKeyError(Exception):
    """The signing key is missing or too short. The message never contains the key."""


def token_name(tenant_slug: str, user_id: int | str) -> str:
    return f"panes:{tenant_slug}:{user_id}"


def fixed_params_for(
    resource: str, needed: Iterable[str], rules: Iterable[RuleSpec], *, filter_params: Iterable[str] = ()
) -> tuple[dict, tuple[str, ...]]:
    """Fixed params for one pipe and the needed params left uncovered.

    ``needed`` are the tenant params of the pipe's charts, ``filter_params`` the params they let
    viewers set. A rule for this pipe overrides a tenant-wide rule for the same param. A tenant-wide
    rule goes in for every param the charts declare, needed or filter (a viewer must not undo it
    through the query string); for any other param it is left out (least privilege). Pipe-specific
    rules always go in, since an admin set them for exactly this pipe. Only a needed param without
    a rule is missing: a filter param without one stays settable.
    """
    tenant_wide, by_resource = _split_rules(rules)
    return _fixed_params(needed, filter_params, tenant_wide, by_resource.get(resource, {}))


def detail_fixed_params(chart: ChartSpec, rules: Iterable[RuleSpec]) -> tuple[dict, tuple[str, ...]]:
    """Fixed params of ``chart``'s detail pipe, as a chart scope's are computed: tenant-wide rules
    on its tenant params, filter params and drill params, and the rules for that pipe."""
    assert chart.detail_resource is not None
    tenant_wide, by_resource = _split_rules(rules)
    return _detail_fixed(chart, tenant_wide, by_resource)


def _detail_fixed(
    chart: ChartSpec, tenant_wide: Mapping[str, ParamValue], by_resource: Mapping[str, Mapping[str, ParamValue]]
) -> tuple[dict, tuple[str, ...]]:
    assert chart.detail_resource is not None
    return _fixed_params(
        chart.tenant_params,
        (*chart.filter_params, *chart.drill_params),
        tenant_wide,
        by_resource.get(chart.detail_resource, {}),
    )


def drill_offered(chart: ChartSpec, rules: Iterable[RuleSpec]) -> bool:
    """Whether a click on ``chart`` may open its detail pipe for a tenant with ``rules``."""
    tenant_wide, by_resource = _split_rules(rules)
    return _drill_offered(chart, tenant_wide, by_resource)


def _drill_offered(
    chart: ChartSpec, tenant_wide: Mapping[str, ParamValue], by_resource: Mapping[str, Mapping[str, ParamValue]]
) -> bool:
    if chart.detail_resource is None or not chart.drill_params:
        return False
    if not chart.tenant_params:
        # A chart that filters by nothing must say so (fail closed, as its own scope does), and
        # saying so covers its own pipe only: another pipe nobody declared shared is not read unfiltered.
        if not chart.shared or chart.detail_resource != chart.resource:
            return False
    fixed, missing = _detail_fixed(chart, tenant_wide, by_resource)
    if missing:
        return False  # the tenant has no rule for the detail pipe: no scope, no drill
    # A click must never set what the tenant's rules or tenant params decide.
    return not any(p in fixed or p in chart.tenant_params for p in chart.drill_params)


def _split_rules(rules: Iterable[RuleSpec]) -> tuple[dict[str, ParamValue], dict[str, dict[str, ParamValue]]]:
    """(tenant-wide param -> value, resource -> its own param -> value); a later rule wins."""
    tenant_wide: dict[str, ParamValue] = {}
    by_resource: dict[str, dict[str, ParamValue]] = {}
    for rule in rules:
        if rule.resource is None:
            tenant_wide[rule.param] = rule.value
        else:
            by_resource.setdefault(rule.resource, {})[rule.param] = rule.value
    return tenant_wide, by_resource


def _fixed_params(
    needed: Iterable[str],
    filter_params: Iterable[str],
    tenant_wide: Mapping[str, ParamValue],
    pipe_specific: Mapping[str, ParamValue],
) -> tuple[dict, tuple[str, ...]]:
    needed = tuple(needed)
    fixed: dict[str, ParamValue] = {p: tenant_wide[p] for p in (*needed, *filter_params) if p in tenant_wide}
    fixed.update(pipe_specific)
    return dict(sorted(fixed.items())), tuple(p for p in needed if p not in fixed)


def build_payload(
    *,
    workspace_id: str,
    tenant_slug: str,
    user_id: int | str,
    charts: Iterable[ChartSpec],
    rules: Iterable[RuleSpec],
    now: datetime,
    ttl_seconds: int,
    rps: int | None = None,
) -> MintPlan:
    """The payload a user of a tenant gets for the charts of one page, on one workspace.

    One scope per distinct pipe. If any chart on a pipe needs a param the tenant has no rule for,
    the whole pipe gets no scope (every chart on it fails closed), so a token never reads a pipe
    less filtered than some chart on the page declared it must be. A tenant-wide rule on a filter
    param any chart on the pipe declares is fixed too, as the filter bar shows it.

    A chart's detail pipe (drill-through) joins the scopes only when the drill is offered
    (``drill_offered``); its needs are then those of the drilling chart, merged into the pipe's
    scope when charts of the page read that pipe too. A detail pipe never takes a scope away from
    a chart: a drill that cannot be offered is listed in ``no_drill`` and the chart still draws.
    """
    charts = list(charts)
    # resource -> (params its charts need, params they let viewers set, its charts)
    by_resource: dict[str, tuple[dict[str, None], dict[str, None], list[ChartSpec]]] = {}
    for chart in charts:
        needed, settable, specs = by_resource.setdefault(chart.resource, ({}, {}, []))
        needed.update(dict.fromkeys(chart.tenant_params))
        settable.update(dict.fromkeys(chart.filter_params))
        specs.append(chart)
    tenant_wide, rules_by_resource = _split_rules(rules)

    scopes: dict[str, dict] = {}
    unconfigured: dict[int | str, tuple[str, ...]] = {}
    for resource, (needed, settable, specs) in by_resource.items():
        if not needed and not all(spec.shared for spec in specs):
            # A chart that filters by nothing must say so explicitly; otherwise fail closed.
            for spec in specs:
                if not spec.shared:
                    unconfigured[spec.key] = ()
            continue
        fixed, missing = _fixed_params(needed, settable, tenant_wide, rules_by_resource.get(resource, {}))
        if missing:
            for spec in specs:
                unconfigured[spec.key] = missing
            continue
        scopes[resource] = {"type": SCOPE_TYPE, "resource": resource, "fixed_params": fixed}

    no_drill: set[int | str] = set()
    # detail resource -> the needs of the charts that drill into it
    drills: dict[str, tuple[dict[str, None], dict[str, None]]] = {}
    for chart in charts:
        if chart.detail_resource is None:
            continue
        if chart.key in unconfigured or not _drill_offered(chart, tenant_wide, rules_by_resource):
            no_drill.add(chart.key)
            continue
        resource = chart.detail_resource
        if resource in by_resource and resource not in scopes:
            no_drill.add(chart.key)  # the page's own charts on that pipe failed closed: so does the drill
            continue
        needed, settable = drills.setdefault(resource, ({}, {}))
        needed.update(dict.fromkeys(chart.tenant_params))
        settable.update(dict.fromkeys((*chart.filter_params, *chart.drill_params)))

    for resource, (needed, settable) in drills.items():
        if resource in by_resource:
            main_needed, main_settable, _specs = by_resource[resource]
            needed = {**main_needed, **needed}
            settable = {**main_settable, **settable}
        # Every need here is covered (each drill was offered), so nothing is missing; merging only
        # adds fixed params, so a shared scope is never less filtered than its charts' own.
        fixed, _missing = _fixed_params(needed, settable, tenant_wide, rules_by_resource.get(resource, {}))
        scopes[resource] = {"type": SCOPE_TYPE, "resource": resource, "fixed_params": fixed}

    issued = int(now.timestamp())
    payload: dict = {
        "workspace_id": workspace_id,
        "name": token_name(tenant_slug, user_id),
        "iat": issued,
        "exp": issued + int(ttl_seconds),
        "scopes": list(scopes.values()),
    }
    if rps:
        payload["limits"] = {"rps": int(rps)}
    return MintPlan(payload=payload, unconfigured=unconfigured, no_drill=frozenset(no_drill))


def check_signing_key(key: str | bytes | None, variable: str) -> bytes:
    """The key as bytes, or SigningKeyError naming the variable (never the key)."""
    if not key:
        raise SigningKeyError(f"The signing key variable {variable} is not set.")
    raw = key.encode() if isinstance(key, str) else key
    if len(raw) < MIN_KEY_BYTES:
        raise SigningKeyError(
            f"The signing key in {variable} is shorter than {MIN_KEY_BYTES} bytes; use the workspace admin token."
        )
    return raw


def sign(payload: Mapping, key: bytes) -> str:
    """The HS256 JWT of ``payload``, signed by PyJWT with the workspace's admin token."""
    return jwt.encode(dict(payload), key, algorithm=ALGORITHM)


def fingerprint(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def scopes_digest(payload: Mapping) -> str:
    """What a cached token must still match: its scopes and limits, not its times."""
    material = json.dumps(
        {"w": payload["workspace_id"], "n": payload["name"], "s": payload["scopes"], "l": payload.get("limits")},
        sort_keys=True,
    )
    return hashlib.sha256(material.encode()).hexdigest()[:32]
