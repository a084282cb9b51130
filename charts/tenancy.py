"""The active tenant of a request, and the one access helper for dashboards."""
from __future__ import annotations

from dataclasses import dataclass
from weakref import WeakKeyDictionary

from django.db.models import Prefetch
from django.http import Http404, HttpRequest

from .models import Chart, Dashboard, DashboardChart, Membership, Tenant

SESSION_KEY = "panes.tenant_id"


@dataclass
class _Tenancy:
    """A request's tenants and the active one among them, looked up once per request."""

    tenants: list[Tenant]
    active: Tenant | None


# Kept beside the request rather than on it (attributes Django's request type does not declare);
# an entry goes when its request does.
_by_request: WeakKeyDictionary[HttpRequest, _Tenancy] = WeakKeyDictionary()


def memberships_of(user) -> list[Membership]:
    if not user.is_authenticated:
        return []
    return list(
        Membership.objects.filter(user=user, is_active=True, tenant__is_active=True)
        .select_related("tenant")
        .order_by("tenant__name")
    )


def active_tenant(request: HttpRequest) -> Tenant | None:
    """The tenant chosen in this session, if the user still belongs to it; else their first.

    Cached per request: one query per request however often it is asked.
    """
    return _tenancy(request).active


def _tenancy(request: HttpRequest) -> _Tenancy:
    if (cached := _by_request.get(request)) is not None:
        return cached
    tenants = [m.tenant for m in memberships_of(request.user)]
    chosen = request.session.get(SESSION_KEY) if hasattr(request, "session") else None
    tenant = next((t for t in tenants if t.pk == chosen), tenants[0] if tenants else None)
    _by_request[request] = tenancy = _Tenancy(tenants, tenant)
    return tenancy


def available_tenants(request: HttpRequest) -> list[Tenant]:
    return _tenancy(request).tenants


def switch_tenant(request: HttpRequest, tenant_id: int) -> Tenant | None:
    """Make tenant_id the active tenant if the user is an active member; None otherwise."""
    tenancy = _tenancy(request)
    tenant = next((t for t in tenancy.tenants if t.pk == tenant_id), None)
    if tenant is not None:
        request.session[SESSION_KEY] = tenant.pk
        tenancy.active = tenant
    return tenant


def dashboards_for(tenant: Tenant):
    return Dashboard.objects.visible_to(tenant).order_by("title")


def dashboard_for(request: HttpRequest, slug: str) -> Dashboard:
    """The dashboard with its tiles and charts for the active tenant, or 404 (never 403: a
    dashboard another tenant owns must not be revealed to exist)."""
    tenant = active_tenant(request)
    if tenant is None:
        raise Http404("No organisation")
    tiles = DashboardChart.objects.select_related("chart__workspace").order_by("position", "id")
    try:
        return (
            dashboards_for(tenant)
            .prefetch_related(Prefetch("tiles", queryset=tiles))
            .get(slug=slug)
        )
    except Dashboard.DoesNotExist:
        raise Http404("No such dashboard") from None


def chart_for(request: HttpRequest, chart_id: int) -> Chart:
    """A Panes-rendered chart on a dashboard the active tenant can see, or 404.

    Staff who may preview dashboards as any tenant see any Panes chart: the frame carries only
    display config, and which rows it can read is decided by the token it is given.
    """
    charts = Chart.objects.select_related("workspace").filter(kind=Chart.Kind.PANES)
    if not request.user.has_perm("charts.preview_dashboard"):
        tenant = active_tenant(request)
        if tenant is None:
            raise Http404("No organisation")
        charts = charts.filter(dashboards__in=Dashboard.objects.visible_to(tenant).values("pk"))
    try:
        return charts.distinct().get(pk=chart_id)
    except Chart.DoesNotExist:
        raise Http404("No such chart") from None
