"""Personal dashboards: a person's own arrangement of the charts their active tenant may see.

A personal dashboard is an ordinary :class:`~charts.models.Dashboard` with ``owner`` and
``owner_tenant`` set, so the grid, the token minting, the session token cache and the TokenGrant
audit work for it unchanged. Shared dashboards (no owner) stay the administrators' defaults: people
add their charts here and never change them there. ``Dashboard.objects.visible_to`` only ever
returns shared dashboards, so a personal one is never reachable by slug, is never anyone else's,
and never makes a chart visible to a tenant.

Charts a person may place are exactly those on the shared dashboards their tenant sees, checked
on the server on every add; when an administrator takes a chart away from the tenant, its tiles
drop out of the person's dashboards (kept in the table, shown again if the chart comes back) and
no token is minted for it.
"""
from __future__ import annotations

import secrets

from django.db import transaction
from django.db.models import Count, Max, Prefetch, Q, QuerySet
from django.http import Http404, HttpRequest
from django.utils.translation import ngettext

from . import tenancy
from .models import Chart, Dashboard, DashboardChart, Tenant

MAX_DASHBOARDS = 50  # per person and tenant
MAX_TILES = 48
DEFAULT_WIDTH = 6
MIN_HEIGHT = 80
MAX_HEIGHT = 2000


class LimitReached(Exception):
    """A person tried to go over MAX_DASHBOARDS or MAX_TILES; the message says which."""


def visible_chart_ids(tenant: Tenant) -> QuerySet:
    """Subquery: ids of the charts on the shared dashboards ``tenant`` sees."""
    return (
        DashboardChart.objects.filter(dashboard__in=Dashboard.objects.visible_to(tenant).values("pk"))
        .values("chart_id")
        .distinct()
    )


def available_charts(tenant: Tenant) -> QuerySet[Chart]:
    """The charts a member of ``tenant`` may put on a personal dashboard, by title."""
    return Chart.objects.filter(pk__in=visible_chart_ids(tenant)).select_related("workspace").order_by("title", "pk")


def visible_tiles(tenant: Tenant) -> QuerySet[DashboardChart]:
    """Tiles whose chart the tenant still sees, with what the grid needs, in order."""
    return (
        DashboardChart.objects.filter(chart_id__in=visible_chart_ids(tenant))
        .select_related("chart__workspace")
        .order_by("position", "id")
    )


def dashboards_of(user, tenant: Tenant) -> QuerySet[Dashboard]:
    """A person's own dashboards in ``tenant`` with the number of charts each shows, in one query."""
    return (
        Dashboard.objects.personal_to(user, tenant)
        .annotate(chart_count=Count("tiles", filter=Q(tiles__chart_id__in=visible_chart_ids(tenant)), distinct=True))
        .order_by("title", "pk")
    )


def dashboard_for(request: HttpRequest, pk: int) -> Dashboard:
    """The signed-in person's own dashboard in their active tenant, with its visible tiles, or 404.

    404 (never 403) for anyone else's and for the same person's dashboards in another tenant.
    """
    tenant = tenancy.active_tenant(request)
    if tenant is None or not request.user.is_authenticated:
        raise Http404("No organisation")
    try:
        return (
            Dashboard.objects.personal_to(request.user, tenant)
            .prefetch_related(Prefetch("tiles", queryset=visible_tiles(tenant)))
            .get(pk=pk)
        )
    except Dashboard.DoesNotExist:
        raise Http404("No such dashboard") from None


def _new_slug() -> str:
    # Slugs are unique across all dashboards; personal ones are addressed by id, never by slug.
    return f"my-{secrets.token_hex(8)}"


def create_dashboard(user, tenant: Tenant, title: str) -> Dashboard:
    if Dashboard.objects.personal_to(user, tenant).count() >= MAX_DASHBOARDS:
        raise LimitReached(
            ngettext(
                "You can keep up to %(count)d dashboard of your own per organisation.",
                "You can keep up to %(count)d dashboards of your own per organisation.",
                MAX_DASHBOARDS,
            )
            % {"count": MAX_DASHBOARDS}
        )
    return Dashboard.objects.create(title=title, slug=_new_slug(), owner=user, owner_tenant=tenant)


def rename(dashboard: Dashboard, title: str) -> None:
    dashboard.title = title
    dashboard.save(update_fields=["title"])


def add_tile(dashboard: Dashboard, chart: Chart, *, width: int = DEFAULT_WIDTH, height: int | None = None) -> DashboardChart:
    """Put ``chart`` last on ``dashboard``. The caller has checked the tenant may see the chart
    (the add form's choices are ``available_charts``)."""
    with transaction.atomic():
        tiles = DashboardChart.objects.filter(dashboard=dashboard)
        if tiles.count() >= MAX_TILES:
            raise LimitReached(
                ngettext("A dashboard holds up to %(count)d chart.", "A dashboard holds up to %(count)d charts.", MAX_TILES)
                % {"count": MAX_TILES}
            )
        last = tiles.aggregate(last=Max("position"))["last"]
        return DashboardChart.objects.create(
            dashboard=dashboard, chart=chart, position=0 if last is None else last + 1, width=width, height=height
        )


def tile_of(dashboard: Dashboard, tile_id: int) -> DashboardChart:
    """One of the dashboard's visible tiles, or 404."""
    tile = next((t for t in dashboard.tiles.all() if t.pk == tile_id), None)
    if tile is None:
        raise Http404("No such chart on this dashboard")
    return tile


def remove_tile(dashboard: Dashboard, tile: DashboardChart) -> None:
    DashboardChart.objects.filter(pk=tile.pk, dashboard=dashboard).delete()


def resize_tile(tile: DashboardChart, *, width: int, height: int | None) -> None:
    tile.width = width
    tile.height = height
    tile.save(update_fields=["width", "height"])


def move_tile(dashboard: Dashboard, tile: DashboardChart, offset: int) -> list[int]:
    """Move ``tile`` ``offset`` places (-1 up, +1 down) among the visible tiles; returns the new
    order of tile ids. Positions are renumbered 0..n-1, which also mends ties."""
    order = [t for t in dashboard.tiles.all()]
    index = next(i for i, t in enumerate(order) if t.pk == tile.pk)
    target = min(max(index + offset, 0), len(order) - 1)
    order.insert(target, order.pop(index))
    return _renumber(order)


def reorder(dashboard: Dashboard, tile_ids: list[int]) -> list[int]:
    """Put the visible tiles in the order of ``tile_ids`` (a permutation of them; ValueError if not)."""
    by_id = {t.pk: t for t in dashboard.tiles.all()}
    if sorted(tile_ids) != sorted(by_id):
        raise ValueError("Send every chart of the dashboard exactly once.")
    return _renumber([by_id[pk] for pk in tile_ids])


def _renumber(order: list[DashboardChart]) -> list[int]:
    for position, tile in enumerate(order):
        tile.position = position
    DashboardChart.objects.bulk_update(order, ["position"])
    return [t.pk for t in order]
