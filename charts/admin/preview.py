""""Preview as tenant": a dashboard exactly as one tenant's members get it, with the payload each
workspace's token would carry and the charts that fail closed, and why. Nothing is signed."""
from __future__ import annotations

import json
from datetime import datetime, timezone

from django.contrib.admin import ModelAdmin
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.template import TemplateDoesNotExist
from django.template.loader import get_template, render_to_string
from django.template.response import TemplateResponse

from .. import checks, grants
from ..models import Dashboard, DashboardChart, Tenant

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
