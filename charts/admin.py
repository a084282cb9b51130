"""The operator's side of Panes: every model, the gaps that make tiles fail closed, and a preview
of a dashboard as any tenant sees it.

Signing keys never appear here: a workspace shows only whether its variable holds a usable key.
Token grants are an audit trail, so their admin is read-only.
"""
from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timezone

from django.contrib import admin, messages
from django.contrib.admin.views.main import ChangeList
from django.contrib.admin.widgets import AutocompleteSelect, AutocompleteSelectMultiple
from django.core.exceptions import ValidationError
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Count, Prefetch, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.template import TemplateDoesNotExist
from django.template.loader import get_template, render_to_string
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from . import checks, grants
from .forms import ChartAdminForm, TenantFilterRuleForm
from .models import (
    Chart,
    Dashboard,
    DashboardChart,
    IntranetGroupRule,
    Membership,
    Tenant,
    TenantFilterRule,
    TokenGrant,
    Workspace,
)

PREVIEW_PERMISSION = "charts.preview_dashboard"


def _pretty_json(value: object) -> str:
    return json.dumps(value, indent=2, sort_keys=True, default=str)


# --- Fail-closed gaps on changelists --------------------------------------------------------------



class _ValidIdsOnly:
    """Autocomplete widgets that skip ids their target field cannot hold.

    Re-rendering a form with errors makes Django's widget query ``pk__in=[...]`` with the posted
    values; a tampered non-numeric id would raise ValueError there (a 500). It is a form error.
    """

    def optgroups(self, name, value, attr=None):
        remote = self.field.remote_field
        target = remote.model._meta.get_field(getattr(remote, "field_name", None) or remote.model._meta.pk.name)
        valid = []
        for item in value:
            try:
                target.to_python(item)
            except ValidationError:
                continue
            valid.append(item)
        return super().optgroups(name, valid, attr)


class ValidatedAutocompleteSelect(_ValidIdsOnly, AutocompleteSelect):
    pass


class ValidatedAutocompleteSelectMultiple(_ValidIdsOnly, AutocompleteSelectMultiple):
    pass


class SafeAutocomplete:
    """Admin mixin: autocomplete fields use the widgets above."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = ValidatedAutocompleteSelect(db_field, self.admin_site, using=kwargs.get("using"))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = ValidatedAutocompleteSelectMultiple(db_field, self.admin_site, using=kwargs.get("using"))
        return super().formfield_for_manytomany(db_field, request, **kwargs)

class GapChangeList(ChangeList):
    """A changelist that attaches each row's fail-closed gaps, computed once per page.

    ``gap_key`` is "chart" or "tenant": which side of the (chart, tenant) gap the rows are.
    """

    gap_key = "chart"

    def get_results(self, request: HttpRequest) -> None:
        super().get_results(request)
        gaps = checks.configuration_gaps()
        grouped = checks.gaps_by_chart(gaps) if self.gap_key == "chart" else checks.gaps_by_tenant(gaps)
        self.result_list = list(self.result_list)
        for obj in self.result_list:
            obj.panes_gaps = grouped.get(obj.pk, [])


class ChartGapChangeList(GapChangeList):
    gap_key = "chart"


class TenantGapChangeList(GapChangeList):
    gap_key = "tenant"


# --- Workspaces -----------------------------------------------------------------------------------


@admin.register(Workspace)
class WorkspaceAdmin(admin.ModelAdmin):
    list_display = ["name", "workspace_id", "host", "signing_key_env", "signing_key", "chart_count"]
    search_fields = ["name", "workspace_id", "signing_key_env"]
    readonly_fields = ["signing_key"]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    fields = ["name", "workspace_id", "api_host", "signing_key_env", "signing_key", "default_tenant_params"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Workspace]:
        return super().get_queryset(request).annotate(chart_count=Count("charts"))

    @admin.display(description="host")
    def host(self, obj: Workspace) -> str:
        return obj.api_host or "Panes built-in"

    @admin.display(description="signing key")
    def signing_key(self, obj: Workspace) -> str:
        if not obj.signing_key_env:
            return "-"
        status, explanation = checks.signing_key_status(obj.signing_key_env)
        if status == checks.KEY_SET:
            return "set"
        return format_html('<strong class="errornote">{}</strong> — {}', status, explanation)

    @admin.display(description="charts", ordering="chart_count")
    def chart_count(self, obj: Workspace) -> int:
        return obj.chart_count


# --- Tenants, memberships, rules ------------------------------------------------------------------


class MembershipInline(SafeAutocomplete, admin.TabularInline):
    model = Membership
    extra = 0
    fields = ["user", "role", "is_active", "source"]
    readonly_fields = ["source"]
    autocomplete_fields = ["user"]


class TenantFilterRuleInline(SafeAutocomplete, admin.TabularInline):
    model = TenantFilterRule
    form = TenantFilterRuleForm
    extra = 0
    fields = ["param", "value_type", "value", "chart"]
    autocomplete_fields = ["chart"]


def _gap_lines(gaps: list[checks.Gap], *, name_of: Callable[[checks.Gap], str]) -> str:
    if not gaps:
        return "-"
    return format_html_join(", ", "{} ({})", ((name_of(g), g.reason) for g in gaps))


def _warn_of_gaps(
    request: HttpRequest, gaps: list[checks.Gap], message: str, *, name_of: Callable[[checks.Gap], str]
) -> None:
    """A warning above a change form listing ``gaps`` (``message`` has one ``{}`` for them)."""
    if gaps:
        messages.warning(request, format_html(message, _gap_lines(gaps, name_of=name_of)))


@admin.register(Tenant)
class TenantAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "is_active", "member_count", "rule_count", "rate_limit_rps", "missing_rules"]
    list_filter = ["is_active"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [MembershipInline, TenantFilterRuleInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Tenant]:
        return (
            super()
            .get_queryset(request)
            .annotate(member_count=Count("memberships", distinct=True), rule_count=Count("filter_rules", distinct=True))
        )

    def get_changelist(self, request: HttpRequest, **kwargs) -> type[ChangeList]:
        return TenantGapChangeList

    @admin.display(description="members", ordering="member_count")
    def member_count(self, obj: Tenant) -> int:
        return obj.member_count

    @admin.display(description="rules", ordering="rule_count")
    def rule_count(self, obj: Tenant) -> int:
        return obj.rule_count

    @admin.display(description="charts failing closed")
    def missing_rules(self, obj: Tenant) -> str:
        return _gap_lines(getattr(obj, "panes_gaps", []), name_of=lambda g: g.chart.title)

    def change_view(self, request: HttpRequest, object_id: str, form_url: str = "", extra_context=None) -> HttpResponse:
        if request.method == "GET":
            _warn_of_gaps(
                request,
                [g for g in checks.configuration_gaps() if str(g.tenant.pk) == str(object_id)],
                "Charts on dashboards this tenant sees that fail closed for it: {}",
                name_of=lambda g: g.chart.title,
            )
        return super().change_view(request, object_id, form_url, extra_context)


@admin.register(Membership)
class MembershipAdmin(SafeAutocomplete, admin.ModelAdmin):
    list_display = ["user", "tenant", "role", "is_active", "source", "created_at"]
    list_filter = ["role", "is_active", "source", "tenant"]
    search_fields = ["user__username", "user__email", "tenant__name", "tenant__slug"]
    list_select_related = ["user", "tenant"]
    autocomplete_fields = ["user", "tenant"]


@admin.register(IntranetGroupRule)
class IntranetGroupRuleAdmin(SafeAutocomplete, admin.ModelAdmin):
    """Which intranet groups (from single sign-on) give membership of which tenant."""

    list_display = ["group", "tenant", "role"]
    list_filter = ["role", "tenant"]
    search_fields = ["group", "tenant__name", "tenant__slug"]
    list_select_related = ["tenant"]
    autocomplete_fields = ["tenant"]


@admin.register(TenantFilterRule)
class TenantFilterRuleAdmin(SafeAutocomplete, admin.ModelAdmin):
    form = TenantFilterRuleForm
    list_display = ["param", "value", "value_type", "tenant", "scope"]
    list_filter = ["value_type", "tenant"]
    search_fields = ["param", "value", "tenant__name", "tenant__slug", "chart__title", "chart__pipe_name"]
    list_select_related = ["tenant", "chart"]
    autocomplete_fields = ["tenant", "chart"]

    @admin.display(description="applies to", ordering="chart__title")
    def scope(self, obj: TenantFilterRule) -> str:
        return f"chart {obj.chart}" if obj.chart_id else "every pipe"


# --- Charts ---------------------------------------------------------------------------------------


@admin.register(Chart)
class ChartAdmin(admin.ModelAdmin):
    form = ChartAdminForm
    list_display = ["title", "kind", "workspace", "pipe_name", "params", "is_shared", "not_configured_for"]
    list_filter = ["kind", "chart_type", "is_shared", "workspace"]
    search_fields = ["title", "pipe_name", "pipe_id", "description"]
    list_select_related = ["workspace"]
    readonly_fields = ["embed_host", "embed_region", "embed_chart_uuid"]
    fieldsets = [
        (None, {"fields": ["workspace", "title", "description", "kind", "pipe_name", "pipe_id", "height"]}),
        (
            "Tenant filtering",
            {"fields": ["tenant_params", "is_shared"]},
        ),
        (
            "Tinybird-hosted chart",
            {
                "fields": ["snippet", "embed_host", "embed_region", "embed_chart_uuid"],
                "description": "Only for charts of kind Tinybird: paste the chart's iframe snippet.",
            },
        ),
        (
            "Panes-rendered chart",
            {
                "fields": ["chart_type", "index_column", "category_columns", "colors", "stacked", "refresh_seconds"],
                "description": "Only for charts of kind Panes: how the built-in renderer draws the pipe's rows.",
            },
        ),
    ]

    def get_changelist(self, request: HttpRequest, **kwargs) -> type[ChangeList]:
        return ChartGapChangeList

    @admin.display(description="tenant params")
    def params(self, obj: Chart) -> str:
        if obj.is_shared:
            return "(shared)"
        try:
            names = obj.tenant_param_names
        except Exception:  # a bad saved value; the form refuses these
            return "?"
        return ", ".join(names) or "-"

    @admin.display(description="not configured for")
    def not_configured_for(self, obj: Chart) -> str:
        return _gap_lines(getattr(obj, "panes_gaps", []), name_of=lambda g: g.tenant.name)

    def change_view(self, request: HttpRequest, object_id: str, form_url: str = "", extra_context=None) -> HttpResponse:
        if request.method == "GET":
            _warn_of_gaps(
                request,
                [g for g in checks.configuration_gaps() if str(g.chart.pk) == str(object_id)],
                "This chart fails closed for: {}",
                name_of=lambda g: g.tenant.name,
            )
        return super().change_view(request, object_id, form_url, extra_context)


# --- Dashboards -----------------------------------------------------------------------------------


class DashboardChartInline(SafeAutocomplete, admin.TabularInline):
    model = DashboardChart
    extra = 0
    fields = ["chart", "position", "width", "height"]
    autocomplete_fields = ["chart"]
    ordering = ["position", "id"]


@admin.register(Dashboard)
class DashboardAdmin(SafeAutocomplete, admin.ModelAdmin):
    list_display = ["title", "slug", "visible_to_all", "tenant_list", "chart_count", "preview_link"]
    list_filter = ["visible_to_all", "tenants"]
    search_fields = ["title", "slug", "description"]
    prepopulated_fields = {"slug": ["title"]}
    autocomplete_fields = ["tenants"]
    inlines = [DashboardChartInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Dashboard]:
        # Personal dashboards are their owners' own; the admin manages the shared ones.
        return (
            super()
            .get_queryset(request)
            .shared()
            .annotate(chart_count=Count("tiles", distinct=True))
            .prefetch_related(Prefetch("tenants", queryset=Tenant.objects.order_by("name")))
        )

    @admin.display(description="tenants")
    def tenant_list(self, obj: Dashboard) -> str:
        if obj.visible_to_all:
            return "every tenant"
        return ", ".join(t.name for t in obj.tenants.all()) or "nobody"

    @admin.display(description="charts", ordering="chart_count")
    def chart_count(self, obj: Dashboard) -> int:
        return obj.chart_count

    @admin.display(description="preview")
    def preview_link(self, obj: Dashboard) -> str:
        return format_html('<a href="{}">Preview as tenant</a>', reverse("admin:charts_dashboard_preview", args=[obj.pk]))

    def get_list_display(self, request: HttpRequest) -> list[str]:
        names = list(super().get_list_display(request))
        if not request.user.has_perm(PREVIEW_PERMISSION):
            names.remove("preview_link")
        return names

    def get_urls(self) -> list:
        preview = path(
            "<int:object_id>/preview/",
            self.admin_site.admin_view(self.preview_view),
            name="charts_dashboard_preview",
        )
        return [preview, *super().get_urls()]

    def change_view(self, request: HttpRequest, object_id: str, form_url: str = "", extra_context=None) -> HttpResponse:
        extra_context = {**(extra_context or {}), "can_preview": request.user.has_perm(PREVIEW_PERMISSION)}
        return super().change_view(request, object_id, form_url, extra_context)

    def preview_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        """The dashboard as a tenant sees it, with the payload its tokens would carry."""
        if not request.user.has_perm(PREVIEW_PERMISSION):
            raise PermissionDenied("You may not preview dashboards as a tenant.")
        tiles = DashboardChart.objects.select_related("chart__workspace").order_by("position", "id")
        dashboard = get_object_or_404(
            Dashboard.objects.prefetch_related("tenants", Prefetch("tiles", queryset=tiles)), pk=object_id
        )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": f"Preview “{dashboard}” as a tenant",
            "dashboard": dashboard,
            "tenants": self._tenant_choices(dashboard),
            "tenant": None,
        }
        raw_tenant = request.GET.get("tenant", "").strip()
        status = 200
        if raw_tenant:
            if not raw_tenant.isdigit():
                context["error"] = "Choose a tenant from the list."
                status = 400
            else:
                tenant = get_object_or_404(Tenant, pk=int(raw_tenant))
                context.update(preview_context(request, dashboard=dashboard, tenant=tenant))
        return TemplateResponse(request, "admin/charts/dashboard/preview.html", context, status=status)

    @staticmethod
    def _tenant_choices(dashboard: Dashboard) -> list[tuple[Tenant, bool]]:
        allowed = {t.pk for t in dashboard.tenants.all()}
        return [(t, dashboard.visible_to_all or t.pk in allowed) for t in Tenant.objects.order_by("name")]


def preview_context(request: HttpRequest, *, dashboard: Dashboard, tenant: Tenant) -> dict:
    """What a preview shows: whether the tenant sees the dashboard, and per workspace the payload
    its tokens would carry and which charts fail closed and why."""
    visible = dashboard.visible_to_all or any(t.pk == tenant.pk for t in dashboard.tenants.all())
    context: dict = {"tenant": tenant, "visible": visible, "workspaces": [], "grid": ""}
    if not visible:
        return context
    charts = [tile.chart for tile in dashboard.tiles.all()]
    rules = grants.tenant_rules(tenant)
    now = datetime.now(timezone.utc)
    by_workspace: dict[int, list[Chart]] = {}
    for chart in charts:
        by_workspace.setdefault(chart.workspace_id, []).append(chart)
    for ws_charts in by_workspace.values():
        workspace = ws_charts[0].workspace
        plan = grants.plan_for(
            tenant=tenant, user_id=request.user.pk, workspace=workspace, charts=ws_charts, rules=rules, now=now
        )
        unconfigured = [
            (chart, plan.unconfigured[chart.pk]) for chart in ws_charts if chart.pk in plan.unconfigured
        ]
        key_status, key_explanation = checks.signing_key_status(workspace.signing_key_env)
        context["workspaces"].append(
            {
                "workspace": workspace,
                "payload": plan.payload,
                "payload_json": _pretty_json(plan.payload),
                "scopes": plan.payload["scopes"],
                "unconfigured": unconfigured,
                "key_status": key_status,
                "key_explanation": key_explanation,
            }
        )
    context["grid"] = _live_grid(request, dashboard=dashboard, tenant=tenant) if tenant.is_active else ""
    return context


def _live_grid(request: HttpRequest, *, dashboard: Dashboard, tenant: Tenant) -> str:
    """The dashboard grid exactly as the tenant's members get it, from the pages module.

    Empty when the dashboard pages are not available; the payload part stands on its own.
    """
    try:
        from . import pages

        get_template("charts/_grid.html")
    except (ImportError, TemplateDoesNotExist):  # a deployment without the dashboard pages
        return ""
    context = pages.dashboard_context(request, tenant=tenant, dashboard=dashboard)
    # The refresh endpoint answers for the viewer's own tenant, never the previewed one.
    context["token_url"] = None
    context["preview"] = True
    return render_to_string("charts/_grid.html", context, request=request)


# --- Tiles and grants -----------------------------------------------------------------------------


@admin.register(DashboardChart)
class DashboardChartAdmin(SafeAutocomplete, admin.ModelAdmin):
    list_display = ["dashboard", "position", "chart", "width", "height"]
    list_filter = ["dashboard"]
    search_fields = ["dashboard__title", "chart__title", "chart__pipe_name"]
    list_select_related = ["dashboard", "chart"]
    autocomplete_fields = ["dashboard", "chart"]
    ordering = ["dashboard__title", "position", "id"]


@admin.register(TokenGrant)
class TokenGrantAdmin(admin.ModelAdmin):
    """Audit of minted tokens: visible to staff who may view it, changeable by nobody."""

    list_display = ["issued_at", "token_name", "user", "tenant", "workspace", "dashboard", "expires_at", "scope_count"]
    list_filter = ["tenant", "workspace", "issued_at"]
    search_fields = ["fingerprint", "user__username", "tenant__name", "tenant__slug", "dashboard__title"]
    list_select_related = ["user", "tenant", "workspace", "dashboard"]
    date_hierarchy = "issued_at"
    fields = [
        "id", "user", "tenant", "workspace", "dashboard", "issued_at", "expires_at", "fingerprint", "payload_json",
    ]
    readonly_fields = fields
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: TokenGrant | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: TokenGrant | None = None) -> bool:
        return False

    @admin.display(description="token name")
    def token_name(self, obj: TokenGrant) -> str:
        return obj.payload.get("name", "?") if isinstance(obj.payload, dict) else "?"

    @admin.display(description="scopes")
    def scope_count(self, obj: TokenGrant) -> int:
        return len(obj.payload.get("scopes", [])) if isinstance(obj.payload, dict) else 0

    @admin.display(description="payload")
    def payload_json(self, obj: TokenGrant) -> str:
        return format_html("<pre>{}</pre>", _pretty_json(obj.payload))

