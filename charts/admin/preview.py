""""Preview as tenant": a dashboard exactly as one tenant's members get it, with the payload each
workspace's token would carry and the charts that fail closed, and why. Nothing is signed.

And the chart builder's side of it: a chart drawn while it is edited, as a chosen tenant, with
its token's fixed params; the pipe's columns read by a sample query made as that tenant; the
workspace's pipe listing (``charts.pipe_listing``, server-side, with the admin token).
"""
from __future__ import annotations

import json
from datetime import datetime, timezone

from urllib.parse import quote, urlencode

from django.contrib.admin import ModelAdmin
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.template import TemplateDoesNotExist
from django.template.loader import get_template, render_to_string
from django.template.response import TemplateResponse
from django.urls import reverse

from .. import checks, grants, pipe_listing
from ..forms import ChartAdminForm, ColumnAnswer
from ..models import Chart, Dashboard, DashboardChart, Tenant, Workspace

PREVIEW_PERMISSION = "charts.preview_dashboard"


def pretty_json(value: object) -> str:
    return json.dumps(value, indent=2, sort_keys=True, default=str)


def preview_view(model_admin: ModelAdmin, request: HttpRequest, object_id: int) -> HttpResponse:
    """The preview page of one dashboard; ``?tenant=<id>`` picks the tenant."""
    if not request.user.has_perm(PREVIEW_PERMISSION):
        raise PermissionDenied("You may not preview dashboards as a tenant.")
    tiles = DashboardChart.objects.select_related("chart__workspace").order_by("position", "id")
    dashboard = get_object_or_404(
        Dashboard.objects.shared().prefetch_related("tenants", Prefetch("tiles", queryset=tiles)), pk=object_id
    )
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.model._meta,
        "title": f"Preview “{dashboard}” as a tenant",
        "dashboard": dashboard,
        "tenants": tenant_choices(dashboard),
        "tenant": None,
    }
    raw_tenant = request.GET.get("tenant", "").strip()
    only = only_tenant(dashboard)
    if "tenant" not in request.GET and only is not None:
        raw_tenant = str(only.pk)  # a dashboard for one tenant previews as that tenant at once
    status = 200
    if raw_tenant:
        # isdigit() alone accepts "²", which int() refuses.
        if not (raw_tenant.isascii() and raw_tenant.isdigit()):
            context["error"] = "Choose a tenant from the list."
            status = 400
        else:
            tenant = get_object_or_404(Tenant, pk=int(raw_tenant))
            context.update(preview_context(request, dashboard=dashboard, tenant=tenant))
    return TemplateResponse(request, "admin/charts/dashboard/preview.html", context, status=status)


def only_tenant(dashboard: Dashboard) -> Tenant | None:
    """The dashboard's one tenant, when it is shown to exactly one (not to every tenant)."""
    tenants = list(dashboard.tenants.all())
    return tenants[0] if not dashboard.visible_to_all and len(tenants) == 1 else None


def tenant_choices(dashboard: Dashboard) -> list[tuple[Tenant, bool]]:
    allowed = {t.pk for t in dashboard.tenants.all()}
    return [(t, dashboard.visible_to_all or t.pk in allowed) for t in Tenant.objects.order_by("name")]


def preview_context(request: HttpRequest, *, dashboard: Dashboard, tenant: Tenant) -> dict:
    """What a preview shows: whether the tenant sees the dashboard, and per workspace the payload
    its tokens would carry and which charts fail closed and why."""
    visible = dashboard.visible_to_all or any(t.pk == tenant.pk for t in dashboard.tenants.all())
    context: dict = {"tenant": tenant, "visible": visible, "workspaces": [], "grid": ""}
    if not visible:
        return context
    if not request.user.is_authenticated:  # the admin lets only staff in
        raise PermissionDenied
    plans = grants.plans_by_workspace(
        tenant=tenant,
        user_id=request.user.pk,
        charts=[tile.chart for tile in dashboard.tiles.all()],
        rules=grants.tenant_rules(tenant),
        now=datetime.now(timezone.utc),
    )
    for workspace, ws_charts, plan in plans:
        key_status, key_explanation = checks.signing_key_status(workspace.signing_key_env)
        context["workspaces"].append(
            {
                "workspace": workspace,
                "payload": plan.payload,
                "payload_json": pretty_json(plan.payload),
                "scopes": plan.payload["scopes"],
                "unconfigured": [(c, plan.unconfigured[c.pk]) for c in ws_charts if c.pk in plan.unconfigured],
                "key_status": key_status,
                "key_explanation": key_explanation,
            }
        )
    context["grid"] = live_grid(request, dashboard=dashboard, tenant=tenant) if tenant.is_active else ""
    return context


def live_grid(request: HttpRequest, *, dashboard: Dashboard, tenant: Tenant) -> str:
    """The dashboard grid exactly as the tenant's members get it, from the pages module.

    Empty when the dashboard pages are not available; the payload part stands on its own.
    """
    try:
        from .. import pages

        get_template("charts/_grid.html")
    except (ImportError, TemplateDoesNotExist):  # a deployment without the dashboard pages
        return ""
    context = pages.dashboard_context(request, tenant=tenant, dashboard=dashboard)
    # The refresh endpoint answers for the viewer's own tenant, never the previewed one.
    context["token_url"] = None
    context["preview"] = True
    return render_to_string("charts/_grid.html", context, request=request)


# --- the chart builder: a chart drawn while it is edited ---------------------------------------

BUILDER_FRAME_SALT = "panes.admin.builder-frame"
BUILDER_FRAME_MAX_AGE = 3600
# The fields the preview draws from: an error in another (a blank title) does not stop it.
DRAWING_FIELDS = frozenset(
    {"workspace", "kind", "pipe_name", "snippet", "chart_type", "index_column", "category_columns", "colors",
     "tenant_params", "is_shared", "filter_params", "unit", "preview_tenant"}
)


def default_preview_tenant(chart: Chart) -> Tenant | None:
    """The first active tenant the chart gets a scope for, else the first active tenant."""
    tenants = list(Tenant.objects.filter(is_active=True).order_by("name").prefetch_related("filter_rules__chart")[:50])
    now = datetime.now(timezone.utc)
    for tenant in tenants:
        plan = grants.plan_for(
            tenant=tenant, user_id=0, workspace=chart.workspace, charts=[chart], rules=list(tenant.filter_rules.all()), now=now
        )
        if plan.payload["scopes"]:
            return tenant
    return tenants[0] if tenants else None


def chart_token(request: HttpRequest, chart: Chart, tenant: Tenant) -> grants.PageToken:
    """The token a member of ``tenant`` would get for this one chart (reused from the session
    while it stands, else minted and audited like a page's)."""
    return grants.workspace_token(
        request,
        tenant=tenant,
        dashboard=None,
        workspace=chart.workspace,
        charts=[chart],
        rules=grants.tenant_rules(tenant),
        now=datetime.now(timezone.utc),
    )


def scope_of(page_token: grants.PageToken, chart: Chart) -> dict | None:
    return next((s for s in page_token.payload["scopes"] if s["resource"] == chart.scope_resource), None)


def read_columns(request: HttpRequest, chart: Chart, tenant: Tenant | None) -> ColumnAnswer:
    """The pipe's columns from a sample query made as ``tenant`` (default: ``default_preview_tenant``)."""
    if not request.user.has_perm(PREVIEW_PERMISSION):
        return ColumnAnswer(None, "you may not query pipes as a tenant (preview permission)")
    if not chart.pipe_name:
        return ColumnAnswer(None, "no pipe chosen")
    tenant = tenant or default_preview_tenant(chart)
    if tenant is None:
        return ColumnAnswer(None, "there is no active tenant to read the pipe as")
    page_token = chart_token(request, chart, tenant)
    if page_token.error:
        return ColumnAnswer(None, page_token.error)
    scope = scope_of(page_token, chart)
    if page_token.token is None or scope is None:
        missing = ", ".join(page_token.unconfigured.get(chart.pk, ())) or "a tenant param"
        return ColumnAnswer(None, f"{tenant.name} has no rule for {missing}, so the pipe was not read as {tenant.name}")
    try:
        origin = pipe_listing.origin_for(chart.workspace, request)
        columns = pipe_listing.sample_columns(origin, chart.pipe_name, page_token.token, scope=scope)
    except pipe_listing.PipeMissing as exc:
        return ColumnAnswer(None, str(exc), pipe_missing=True)
    except pipe_listing.ListingUnavailable as exc:
        return ColumnAnswer(None, str(exc))
    return ColumnAnswer(tuple((c.name, c.type) for c in columns))


def pipes_answer(request: HttpRequest, workspace: Workspace) -> dict:
    """``{"pipes": [{name, id, params}]}`` or ``{"error": why, "pipes": []}``; never a key."""
    try:
        choices = pipe_listing.pipe_choices(workspace, request)
    except pipe_listing.ListingUnavailable as exc:
        return {
            "pipes": [],
            "error": f"The pipe listing of {workspace.name} could not be read: {exc}. Type the pipe's name.",
        }
    return {"pipes": [{"name": c.name, "id": c.id, "params": list(c.params)} for c in choices]}


def builder_answer(request: HttpRequest, form: ChartAdminForm) -> dict:
    """What the builder shows for the form's current values: the form's errors, the pipe's
    columns and their defaults, the preview tenant, the fixed params of its token, and the
    frame that draws the chart (its URL carries the token in the fragment)."""
    form.is_valid()
    errors = {name: [str(e) for e in errs] for name, errs in form.errors.items()}
    answer: dict = {"errors": errors, "columns": None, "defaults": None, "frame": None, "fixed_params": None}
    chart = form.instance
    cleaned = form.cleaned_data
    if cleaned.get("workspace") is None:
        return {**answer, "message": errors.get("workspace", ["Choose a workspace."])[0]}
    chart.workspace = cleaned["workspace"]
    tenant = cleaned.get("preview_tenant") or default_preview_tenant(chart)
    if tenant is None:
        return {**answer, "message": "Add an active tenant to preview the chart as."}
    answer["tenant"] = {"id": tenant.pk, "name": tenant.name}
    if not chart.pipe_name:
        return {**answer, "message": "Choose a pipe."}
    page_token = chart_token(request, chart, tenant)
    scope = scope_of(page_token, chart)
    answer["missing"] = list(page_token.unconfigured.get(chart.pk, ()))
    answer["shared"] = chart.is_shared
    if page_token.error:
        return {**answer, "message": page_token.error}
    if page_token.token is None or scope is None:
        missing = ", ".join(answer["missing"]) or "a tenant param"
        return {**answer, "message": f"Not configured for {tenant.name}: no rule for {missing}."}
    answer["fixed_params"] = scope["fixed_params"]
    if chart.kind == Chart.Kind.PANES:
        columns = read_columns(request, chart, tenant)
        if columns.columns is not None:
            index, categories = pipe_listing.column_defaults([pipe_listing.Column(n, t) for n, t in columns.columns])
            answer["columns"] = [{"name": n, "type": t} for n, t in columns.columns]
            answer["defaults"] = {"index": index, "categories": list(categories)}
        else:
            answer["columns_error"] = columns.reason
    if DRAWING_FIELDS & set(form.errors):
        return {**answer, "message": "Correct the fields marked to see the chart."}
    answer["frame"] = builder_frame_src(request, chart, tenant, page_token.token)
    if answer["frame"] is None:
        answer["message"] = "Paste the chart's snippet to see it." if chart.kind == Chart.Kind.TINYBIRD else ""
    return answer


def builder_frame_src(request: HttpRequest, chart: Chart, tenant: Tenant, token: str) -> str | None:
    from .. import filters, pages

    if chart.kind == Chart.Kind.TINYBIRD:
        try:
            return pages.tile_src(chart, token)
        except ValueError:
            return None
    rules = grants.tenant_rules(tenant)
    config = pages.frame_config(request, chart, tenant=tenant, filter_params=filters.chart_params(chart, rules))
    page = {"title": chart.title, "description": chart.description, "chart_type": chart.chart_type}
    signed = signing.dumps({"config": config, "chart": page}, salt=BUILDER_FRAME_SALT, compress=True)
    url = reverse("admin:charts_chart_builder_frame")
    return f"{url}?{urlencode({'c': signed})}#token={quote(token, safe='')}"


def builder_frame_page(request: HttpRequest) -> HttpResponse:
    """The chart frame of the builder: frame.html with the config the builder signed."""
    try:
        data = signing.loads(request.GET.get("c", ""), salt=BUILDER_FRAME_SALT, max_age=BUILDER_FRAME_MAX_AGE)
    except signing.BadSignature:
        return HttpResponse("This preview has expired; change a field to draw it again.", status=400, content_type="text/plain")
    context = {"chart": data["chart"], "config": data["config"], "theme": "light", "titled": True}
    return TemplateResponse(request, "charts/frame.html", context)
