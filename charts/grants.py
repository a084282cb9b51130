"""Tokens for a page: reuse the one cached in the session, or mint, sign and audit a new one.

One token per session, tenant, workspace and dashboard. It is reused until it is near expiry, the
scopes it would carry change, or the workspace's signing key is rotated (the cache entry holds a
short fingerprint of the key, never the key); every real mint writes exactly one TokenGrant.
"""
from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from . import filters, revisions, routing, tokens
from .models import Chart, Dashboard, Tenant, TenantFilterRule, TokenGrant, Workspace
from .signing import read_signing_key

SESSION_KEY = "panes.tokens"
# At most this many entries in each of the session's caches (page tokens, token answers): about a
# person's open pages, and a bound on what one signed-in person can make their own session hold.
MAX_SESSION_ENTRIES = 32


@dataclass
class PageToken:
    """The token one workspace's charts on a page use, and what failed closed."""

    workspace: Workspace
    token: str | None
    expires_at: int | None
    payload: dict
    unconfigured: dict = field(default_factory=dict)  # chart id -> missing params
    reused: bool = False
    key_id: str | None = None  # fingerprint of the key that signed ``token``
    error: str | None = None  # e.g. signing key missing: the page shows it, no traceback
    host_refused: bool = False  # ``error`` is routing's: only this workspace's tiles fail
    no_drill: frozenset = frozenset()  # chart ids whose drill-through got no scope


def chart_specs(charts: Iterable[Chart]) -> list[tokens.ChartSpec]:
    return [filters.chart_spec(c) for c in charts]


def rule_specs(rules: Iterable[TenantFilterRule]) -> list[tokens.RuleSpec]:
    """Rules as plain data; callers pass rules with ``chart`` selected to avoid a query each."""
    return [r.spec() for r in rules]


def tenant_rules(tenant: Tenant) -> list[TenantFilterRule]:
    return list(tenant.filter_rules.select_related("chart__workspace"))


def plan_for(
    *, tenant: Tenant, user_id: int, workspace: Workspace, charts: Sequence[Chart], rules: Sequence[TenantFilterRule], now: datetime
) -> tokens.MintPlan:
    return tokens.build_payload(
        workspace_id=workspace.workspace_id,
        tenant_slug=tenant.slug,
        user_id=user_id,
        charts=chart_specs(charts),
        rules=rule_specs(rules),
        now=now,
        ttl_seconds=settings.PANES_TOKEN_TTL_SECONDS,
        rps=tenant.rate_limit_rps,
    )


def key_fingerprint(key: bytes) -> str:
    """A short, one-way fingerprint of a signing key, to notice rotation (never the key itself)."""
    return hashlib.sha256(b"panes-key-fingerprint:" + key).hexdigest()[:16]


def sign_and_record(
    payload: dict, *, user, tenant: Tenant, workspace: Workspace, dashboard: Dashboard | None, key: bytes | None = None
) -> str:
    """Sign ``payload`` with the workspace's key (``key`` if the caller already read it) and write
    its one TokenGrant.

    Raises tokens.SigningKeyError (naming the variable, never the key) when the key is unusable.
    """
    key = key if key is not None else read_signing_key(workspace.signing_key_env)
    token = tokens.sign(payload, key)
    TokenGrant.objects.create(
        user=user,
        tenant=tenant,
        workspace=workspace,
        dashboard=dashboard,
        payload=payload,
        fingerprint=tokens.fingerprint(token),
        issued_at=datetime.fromtimestamp(payload["iat"], timezone.utc),
        expires_at=datetime.fromtimestamp(payload["exp"], timezone.utc),
    )
    return token


def _cache_key(tenant: Tenant, workspace: Workspace, dashboard: Dashboard | None) -> str:
    return f"{tenant.pk}:{workspace.pk}:{dashboard.pk if dashboard else '-'}"


def _kept(entries: dict, key: str, entry: dict, *, spent: Callable[[dict], bool]) -> dict:
    """``entries`` with ``entry`` written last under ``key``, the spent ones dropped, and at most
    MAX_SESSION_ENTRIES of them: the oldest written go first (the session keeps dict order)."""
    kept = {k: v for k, v in entries.items() if k != key and not spent(v)}
    kept[key] = entry
    return dict(list(kept.items())[-MAX_SESSION_ENTRIES:])


def page_tokens(
    request: HttpRequest,
    *,
    tenant: Tenant,
    dashboard: Dashboard | None,
    charts: Sequence[Chart],
    rules: Sequence[TenantFilterRule] | None = None,
    now: datetime | None = None,
) -> dict[int, PageToken]:
    """One PageToken per workspace the charts live on, keyed by workspace id."""
    now = now or datetime.now(timezone.utc)
    rules = tenant_rules(tenant) if rules is None else rules
    return {
        ws_id: workspace_token(
            request, tenant=tenant, dashboard=dashboard, workspace=ws_charts[0].workspace, charts=ws_charts, rules=rules, now=now
        )
        for ws_id, ws_charts in charts_by_workspace(charts).items()
    }


def charts_by_workspace(charts: Iterable[Chart]) -> dict[int, list[Chart]]:
    """Workspace id -> its charts, in the order given (one token, or one plan, per workspace)."""
    by_workspace: dict[int, list[Chart]] = {}
    for chart in charts:
        by_workspace.setdefault(chart.workspace_id, []).append(chart)
    return by_workspace


def workspace_token(
    request: HttpRequest,
    *,
    tenant: Tenant,
    dashboard: Dashboard | None,
    workspace: Workspace,
    charts: Sequence[Chart],
    rules: Sequence[TenantFilterRule],
    now: datetime,
) -> PageToken:
    if not request.user.is_authenticated:  # the pages that mint are login_required: never a token for nobody
        raise PermissionDenied
    plan = plan_for(tenant=tenant, user_id=request.user.pk, workspace=workspace, charts=charts, rules=rules, now=now)
    if (host_problem := routing.route_problem(workspace.api_host, workspace.signing_key_env)) is not None:
        # A row pointing anywhere the operator did not allow gets no token to send there.
        return PageToken(
            workspace, None, None, plan.payload, dict(plan.unconfigured), error=host_problem, host_refused=True,
            no_drill=plan.no_drill,
        )
    if not plan.payload["scopes"]:
        return PageToken(workspace, None, None, plan.payload, dict(plan.unconfigured), no_drill=plan.no_drill)

    try:
        # Read on every page: a key rotated in the environment must retire the cached token.
        signing_key = read_signing_key(workspace.signing_key_env)
    except tokens.SigningKeyError as exc:
        return PageToken(
            workspace, None, None, plan.payload, dict(plan.unconfigured), error=str(exc), no_drill=plan.no_drill
        )
    key_id = key_fingerprint(signing_key)
    digest = tokens.scopes_digest(plan.payload)
    cache = request.session.get(SESSION_KEY, {})
    key = _cache_key(tenant, workspace, dashboard)
    cached = cache.get(key)
    margin = settings.PANES_TOKEN_REFRESH_MARGIN_SECONDS
    if (
        cached
        and cached["digest"] == digest
        and cached.get("key") == key_id
        and cached["exp"] - margin > now.timestamp()
    ):
        return PageToken(
            workspace, cached["token"], cached["exp"], cached["payload"], dict(plan.unconfigured), reused=True,
            key_id=key_id, no_drill=plan.no_drill,
        )

    token = sign_and_record(
        plan.payload, user=request.user, tenant=tenant, workspace=workspace, dashboard=dashboard, key=signing_key
    )
    entry = {"token": token, "exp": plan.payload["exp"], "digest": digest, "key": key_id, "payload": plan.payload}
    request.session[SESSION_KEY] = _kept(cache, key, entry, spent=lambda e: e["exp"] - margin <= now.timestamp())
    return PageToken(
        workspace, token, plan.payload["exp"], plan.payload, dict(plan.unconfigured), key_id=key_id, no_drill=plan.no_drill
    )


ANSWERS_KEY = "panes.token_answers"


def _answer_key(tenant: Tenant, target: Sequence[str | int]) -> str:
    return json.dumps([tenant.pk, *target], separators=(",", ":"))


def cached_answer(
    request: HttpRequest, *, tenant: Tenant, target: Sequence[str | int], now: float | None = None
) -> dict | None:
    """The token answer this session last got for ``target``, if it still stands.

    ``target`` names the object, not the URL: e.g. the token URL's name and its converted
    arguments, so /embed/chart/1/ and /embed/chart/01/ share one entry.

    It stands while its tokens are not near expiry, no configuration changed since it was built
    (charts.revisions) and every signing key is the one that signed it. Serving it again hands
    out no token this session did not already hold, and costs no dashboard, tile or rule query.
    """
    entry = request.session.get(ANSWERS_KEY, {}).get(_answer_key(tenant, target))
    now = time.time() if now is None else now
    if not entry or entry["fresh_until"] <= now or entry["revision"] != revisions.current():
        return None
    for variable, key_id in entry["keys"].items():
        try:
            if key_fingerprint(read_signing_key(variable)) != key_id:
                return None
        except tokens.SigningKeyError:
            return None
    return {**entry["answer"], "now": int(now)}


def remember_answer(
    request: HttpRequest,
    *,
    tenant: Tenant,
    target: Sequence[str | int],
    answer: dict,
    page_tokens: dict[int, PageToken],
    revision: int,
    now: float | None = None,
) -> None:
    """Keep ``answer`` for cached_answer; ``revision`` is the one read before it was built."""
    signed = [pt for pt in page_tokens.values() if pt.token and pt.key_id]
    if not signed:
        return
    now = time.time() if now is None else now
    entry = {
        "answer": answer,
        "revision": revision,
        "fresh_until": min(pt.expires_at for pt in signed if pt.expires_at is not None)
        - settings.PANES_TOKEN_REFRESH_MARGIN_SECONDS,
        "keys": {pt.workspace.signing_key_env: pt.key_id for pt in signed},
    }
    answers = request.session.get(ANSWERS_KEY, {})
    request.session[ANSWERS_KEY] = _kept(
        answers, _answer_key(tenant, target), entry, spent=lambda e: e["fresh_until"] <= now
    )


def plans_by_workspace(
    *, tenant: Tenant, user_id: int, charts: Sequence[Chart], rules: Sequence[TenantFilterRule], now: datetime
) -> list[tuple[Workspace, list[Chart], tokens.MintPlan]]:
    """The payload each workspace's token would carry for ``charts``, unsigned: what the admin's
    "Preview as tenant" shows. Nothing is signed, cached or recorded."""
    return [
        (
            ws_charts[0].workspace,
            ws_charts,
            plan_for(tenant=tenant, user_id=user_id, workspace=ws_charts[0].workspace, charts=ws_charts, rules=rules, now=now),
        )
        for ws_charts in charts_by_workspace(charts).values()
    ]
