"""System checks for configuration Panes depends on (ids charts.E0xx / charts.W0xx), and the
"fail-closed gaps" computation the admin shows too.

- charts.W003  a workspace's signing-key variable is not set (charts.E001 before)
- charts.W004  a workspace's signing key is shorter than 32 bytes (charts.E002 before)
- charts.E003  PANES_SIGNING_KEY_VARIABLES lists a variable Panes' own settings read (SECRET_KEY, ...)
- charts.E004  a workspace's signing-key variable is not one the operator allowed
- charts.E005  a workspace's API host is not one the operator allowed
- charts.E006  PANES_ALLOWED_API_HOSTS has an entry that is not a plain origin
- charts.E007  a workspace sends the built-in host's admin token (or what it signs) to another host
- charts.W001  a chart on a dashboard a tenant sees needs tenant params that tenant has no rule for
- charts.W002  a chart filters by no tenant param and is not marked "same data for every tenant"

W003 and W004 are warnings: a Tinybird workspace added in the admin before the operator sets its
variable must not stop ``migrate`` or a deploy; only that workspace's tiles say "Charts of this
workspace are not configured yet". E004, E005 and E007 stay errors: the admin form refuses such
rows, so only the operator's own change of the allow-lists makes them, and the operator is the
one running ``migrate``.

E003 and E006 check settings and always run. The others read the database, so like Django's own
database checks they are tagged ``database`` and run only when databases are given (``manage.py
check --database default``, ``migrate``); before the tables exist they stay silent instead of
crashing.
"""
from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register
from django.core.exceptions import ValidationError
from django.db import DatabaseError, router, transaction
from django.db.models import Prefetch

from . import filters, routing, tokens
from .models import Chart, Dashboard, DashboardChart, Tenant, TenantFilterRule, Workspace
from .signing import read_signing_key

KEY_SET = "set"
KEY_MISSING = "missing"
KEY_TOO_SHORT = "too short"
KEY_NOT_ALLOWED = "not allowed"


def signing_key_status(variable: str) -> tuple[str, str]:
    """("set" | "missing" | "too short" | "not allowed", explanation) for a signing-key variable.

    The explanation names the variable only; the key itself goes no further than signing.py, and
    a variable the operator did not allow is not even looked at.
    """
    if (problem := routing.variable_problem(variable)) is not None:
        return KEY_NOT_ALLOWED, problem
    try:
        read_signing_key(variable)
    except tokens.SigningKeyError as exc:
        if os.environ.get(variable):
            return KEY_TOO_SHORT, str(exc)
        return KEY_MISSING, str(exc)
    return KEY_SET, f"{variable} holds a key of at least {tokens.MIN_KEY_BYTES} bytes."


@dataclass(frozen=True)
class Gap:
    """A chart a tenant can see whose tile fails closed for that tenant.

    ``missing`` names the params without a rule; it is empty for a chart that filters by no
    param at all and is not marked shared (it fails closed for every tenant).
    """

    chart: Chart
    tenant: Tenant
    missing: tuple[str, ...]

    @property
    def reason(self) -> str:
        if not self.missing:
            return "the chart has no tenant params and is not marked shared"
        return "no rule for " + ", ".join(self.missing)


def _needed_params(chart: Chart) -> tuple[str, ...] | None:
    try:
        return chart.tenant_param_names
    except ValidationError:  # a bad name saved around the validators: treat as nothing to fix
        return None


def configuration_gaps(
    *, using: str | None = None, tenant_id: int | None = None, chart_id: int | None = None
) -> list[Gap]:
    """Every (chart, tenant) pair where an active tenant sees the chart and it fails closed;
    only one tenant's or one chart's pairs when ``tenant_id`` or ``chart_id`` is given.

    A constant number of queries whatever the number of tenants, dashboards and charts.
    Mirrors tokens.build_payload chart by chart (a page can fail more: every chart sharing a
    pipe with an unconfigured chart fails with it).
    """
    using = using or router.db_for_read(Tenant)
    rules = TenantFilterRule.objects.using(using).select_related("chart__workspace")
    tenant_rows = Tenant.objects.using(using).filter(is_active=True)
    if tenant_id is not None:
        tenant_rows = tenant_rows.filter(pk=tenant_id)
    tenants = list(tenant_rows.prefetch_related(Prefetch("filter_rules", queryset=rules)))
    tiles = DashboardChart.objects.using(using).select_related("chart__workspace")
    if chart_id is not None:
        tiles = tiles.filter(chart_id=chart_id)
    dashboard_rows = Dashboard.objects.using(using)
    if chart_id is not None:
        dashboard_rows = dashboard_rows.filter(tiles__chart_id=chart_id).distinct()
    dashboards = list(dashboard_rows.prefetch_related("tenants", Prefetch("tiles", queryset=tiles)))
    gaps: list[Gap] = []
    for tenant in tenants:
        rule_specs = [r.spec(typed=False) for r in tenant.filter_rules.all()]
        seen: dict[int, Chart] = {}
        for dashboard in dashboards:
            if dashboard.visible_to_all or any(t.pk == tenant.pk for t in dashboard.tenants.all()):
                for tile in dashboard.tiles.all():
                    seen.setdefault(tile.chart_id, tile.chart)
        for chart in sorted(seen.values(), key=lambda c: (c.title, c.pk)):
            if chart.is_shared:
                continue
            needed = _needed_params(chart)
            if needed is None:
                continue
            if not needed:
                gaps.append(Gap(chart, tenant, ()))
                continue
            _, missing = tokens.fixed_params_for(chart.scope_resource, needed, rule_specs)
            if missing:
                gaps.append(Gap(chart, tenant, missing))
    return gaps


def drill_gaps(chart: Chart) -> list[tuple[Tenant, str]]:
    """The active tenants that see ``chart`` drawn but are not offered its drill-through, each
    with the reason; none for a chart without one. A few queries, whatever the tenants."""
    spec = filters.chart_spec(chart)
    if spec.detail_resource is None:
        return []
    boards = list(Dashboard.objects.shared().filter(tiles__chart=chart).distinct().prefetch_related("tenants"))
    rules = TenantFilterRule.objects.select_related("chart__workspace")
    tenants = Tenant.objects.filter(is_active=True).prefetch_related(Prefetch("filter_rules", queryset=rules))
    gaps: list[tuple[Tenant, str]] = []
    for tenant in tenants:
        if not any(b.visible_to_all or any(t.pk == tenant.pk for t in b.tenants.all()) for b in boards):
            continue
        specs = [r.spec(typed=False) for r in tenant.filter_rules.all()]
        _, chart_missing = tokens.fixed_params_for(spec.resource, spec.tenant_params, specs)
        if chart_missing or not (spec.tenant_params or spec.shared) or tokens.drill_offered(spec, specs):
            continue  # drawn and drilling, or not drawn at all (a fail-closed gap says so)
        fixed, missing = tokens.detail_fixed_params(spec, specs)
        if missing:
            reason = f"no rule for {', '.join(missing)} on {chart.drill_pipe}"
        else:
            reason = "a rule fixes " + ", ".join(p for p in spec.drill_params if p in fixed)
        gaps.append((tenant, reason))
    return gaps


def gaps_by_chart(gaps: Iterable[Gap]) -> dict[int, list[Gap]]:
    result: dict[int, list[Gap]] = {}
    for gap in gaps:
        result.setdefault(gap.chart.pk, []).append(gap)
    return result


def gaps_by_tenant(gaps: Iterable[Gap]) -> dict[int, list[Gap]]:
    result: dict[int, list[Gap]] = {}
    for gap in gaps:
        result.setdefault(gap.tenant.pk, []).append(gap)
    return result


def _charts_alias(databases: Sequence[str] | None) -> str | None:
    """The alias holding the charts tables if the caller asked for it, else None (skip)."""
    if not databases:
        return None
    alias = router.db_for_read(Workspace)
    return alias if alias in databases else None


@register()
def check_routing_settings(app_configs=None, **kwargs) -> list[CheckMessage]:
    """The allow-lists themselves: no setting's variable as a signing key, only plain origins."""
    messages: list[CheckMessage] = []
    denied = [v for v in dict.fromkeys(settings.PANES_SIGNING_KEY_VARIABLES) if routing.denied_variable(v)]
    for variable in denied:
        messages.append(
            Error(
                f"PANES_SIGNING_KEY_VARIABLES lists {variable}, a variable Panes' own settings read; it is "
                "never read as a signing key.",
                hint=f"Remove {variable} from PANES_SIGNING_KEY_VARIABLES and put the workspace's admin token "
                "in a variable of its own (e.g. TINYBIRD_ADMIN_TOKEN).",
                id="charts.E003",
            )
        )
    for entry, why in routing.bad_host_entries(settings.PANES_ALLOWED_API_HOSTS):
        messages.append(
            Error(
                f"PANES_ALLOWED_API_HOSTS: {entry!r} is not a plain origin ({why}); it allows nothing.",
                hint="List origins only, scheme://host[:port], e.g. https://api.tinybird.co.",
                id="charts.E006",
            )
        )
    return messages


@register(Tags.database)
def check_signing_keys(app_configs=None, databases: Sequence[str] | None = None, **kwargs) -> list[CheckMessage]:
    alias = _charts_alias(databases)
    if alias is None:
        return []
    try:
        # A savepoint, so a missing table does not break a transaction the caller may hold.
        with transaction.atomic(using=alias):
            workspaces = list(Workspace.objects.using(alias).order_by("name"))
    except DatabaseError:  # no tables yet (before migrate) or no database: nothing to check
        return []
    messages: list[CheckMessage] = []
    for workspace in workspaces:
        if (problem := routing.api_host_problem(workspace.api_host)) is not None:
            messages.append(
                Error(
                    f"Workspace {workspace.name!r}: its API host is not allowed: {problem} Panes sends it "
                    "no key and no viewer's token; its charts show 'Chart host unavailable'.",
                    hint="Add the host to PANES_ALLOWED_API_HOSTS if it is really the workspace's chart host, "
                    "or set the workspace's API host to an allowed one (blank: Panes' built-in host).",
                    obj=workspace,
                    id="charts.E005",
                )
            )
        if (problem := routing.pairing_problem(workspace.api_host, workspace.signing_key_env)) is not None:
            messages.append(
                Error(
                    f"Workspace {workspace.name!r}: {problem} Panes sends it no key and no viewer's token.",
                    hint="Give the workspace the variable holding that host's own admin token, "
                    "or blank its API host.",
                    obj=workspace,
                    id="charts.E007",
                )
            )
        variable = workspace.signing_key_env
        status, explanation = signing_key_status(variable)
        if status == KEY_NOT_ALLOWED:
            messages.append(
                Error(
                    f"Workspace {workspace.name!r}: its signing-key variable is not allowed: {explanation} "
                    "Panes does not read it; the workspace's charts get no token.",
                    hint="Add the variable to PANES_SIGNING_KEY_VARIABLES if it holds the workspace's admin token, "
                    "or pick one of the allowed variables in the admin.",
                    obj=workspace,
                    id="charts.E004",
                )
            )
        elif status == KEY_MISSING:
            messages.append(
                Warning(
                    f"Workspace {workspace.name!r}: its signing key variable {variable} is not set; "
                    "its charts say they are not configured yet, the other workspaces' charts draw.",
                    hint=f"Set {variable} (or {variable}_FILE, a file holding it) to the workspace's admin token.",
                    obj=workspace,
                    id="charts.W003",
                )
            )
        elif status == KEY_TOO_SHORT:
            messages.append(
                Warning(
                    f"Workspace {workspace.name!r}: the key in {variable} is shorter than "
                    f"{tokens.MIN_KEY_BYTES} bytes; its charts say they are not configured yet.",
                    hint=f"Put the workspace's admin token in {variable}; HS256 keys need at least "
                    f"{tokens.MIN_KEY_BYTES} bytes.",
                    obj=workspace,
                    id="charts.W004",
                )
            )
    return messages


@register(Tags.database)
def check_tenant_rules(app_configs=None, databases: Sequence[str] | None = None, **kwargs) -> list[CheckMessage]:
    alias = _charts_alias(databases)
    if alias is None:
        return []
    try:
        with transaction.atomic(using=alias):
            gaps = configuration_gaps(using=alias)
            charts = list(Chart.objects.using(alias).select_related("workspace").order_by("title", "pk"))
    except DatabaseError:
        return []
    messages: list[CheckMessage] = []
    for gap in gaps:
        if not gap.missing:
            continue  # reported once per chart as W002 below
        params = ", ".join(gap.missing)
        messages.append(
            Warning(
                f"Chart {gap.chart.title!r} is on a dashboard tenant {gap.tenant.name!r} sees, but "
                f"{gap.tenant.name!r} has no rule for {params}; its tile fails closed for them.",
                hint=f"Add a filter rule for {params} to tenant {gap.tenant.name!r} (tenant-wide or for this "
                "chart), or take the chart off the dashboards that tenant sees.",
                obj=gap.chart,
                id="charts.W001",
            )
        )
    for chart in charts:
        if not chart.is_shared and _needed_params(chart) == ():
            messages.append(
                Warning(
                    f"Chart {chart.title!r} filters by no tenant param and is not marked as the same data for "
                    "every tenant; its tile fails closed for everyone.",
                    hint="Set the chart's tenant params (or its workspace's default), or tick "
                    "'same data for every tenant' if its data really is identical for all.",
                    obj=chart,
                    id="charts.W002",
                )
            )
    return messages
