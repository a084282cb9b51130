"""What the dashboard pages render: tiles with their iframe URLs and tokens, placed server-side.

``dashboard_context`` is the one place that turns a dashboard, a tenant and a request into the
grid. The dashboard, embed and admin preview pages all call it and include
``charts/_grid.html``, which renders from exactly the dict it returns:

- ``dashboard``, ``tenant``
- ``tiles``: a list of :class:`Tile`
- ``page_tokens``: workspace pk -> ``grants.PageToken`` (one token per workspace)
- ``workspaces``: ``[{"id", "expires_at"}]`` for the refresh script (no tokens)
- ``token_error``: the first signing-key error (names the variable, never the key) or None;
  the page views answer 503 when it is set
- ``token_url``: where ``dashboard.js`` fetches fresh tokens; None disables refreshing (a
  preview for another tenant must not refresh with the viewer's own tenant)
- ``refresh_margin``, ``server_now``: seconds, for the refresh script
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from urllib.parse import quote

from django.conf import settings
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.urls import reverse

from . import grants, snippets, tenancy
from .models import Chart, Dashboard, DashboardChart, Tenant

OK = "ok"
UNCONFIGURED = "unconfigured"
UNAVAILABLE = "unavailable"

MSG_UNCONFIGURED = "Not configured for your organisation"
MSG_HOST_UNAVAILABLE = "Chart host unavailable"
MSG_NOT_SET_UP = "This chart is not set up yet"


@dataclass(frozen=True)
class Tile:
    """One chart on the grid, as the template draws it."""

    id: int
    chart: Chart
    width: int  # columns of 12
    height: int  # pixels
    state: str  # OK | UNCONFIGURED | UNAVAILABLE
    message: str = ""
    src: str | None = None
    expires_at: int | None = None
    missing: tuple[str, ...] = field(default_factory=tuple)  # params the tenant has no rule for

    @property
    def kind(self) -> str:
        return self.chart.kind

    @property
    def is_tinybird(self) -> bool:
        return self.chart.kind == Chart.Kind.TINYBIRD

    @property
    def workspace_id(self) -> int:
        return self.chart.workspace_id


def frame_src(chart: Chart, token: str) -> str:
    """The Panes frame URL; the token rides in the fragment, which browsers never send anywhere."""
    return f"{reverse('charts:frame', args=[chart.pk])}#token={quote(token, safe='')}"


def tile_src(chart: Chart, token: str) -> str:
    """The iframe src of a chart with a token; ValueError when a Tinybird chart is incomplete."""
    if chart.kind == Chart.Kind.TINYBIRD:
        if not (chart.embed_host and chart.embed_chart_uuid):
            raise ValueError("Tinybird chart without its iframe URL")
        return snippets.chart_iframe_url(
            host=chart.embed_host,
            region=chart.embed_region,
            pipe_name=chart.pipe_name,
            chart_uuid=chart.embed_chart_uuid,
            token=token,
        )
    return frame_src(chart, token)


def _tile(tile: DashboardChart, page_token: grants.PageToken | None) -> Tile:
    chart = tile.chart
    base = {"id": tile.pk, "chart": chart, "width": min(max(tile.width, 1), 12), "height": tile.effective_height}
    if page_token is None or page_token.error:
        return Tile(**base, state=UNAVAILABLE, message=MSG_HOST_UNAVAILABLE)
    if chart.pk in page_token.unconfigured or not page_token.token:
        missing = tuple(page_token.unconfigured.get(chart.pk, ()))
        return Tile(**base, state=UNCONFIGURED, message=MSG_UNCONFIGURED, missing=missing)
    try:
        src = tile_src(chart, page_token.token)
    except ValueError:  # includes snippets.SnippetError: a stored URL that no longer validates
        return Tile(**base, state=UNAVAILABLE, message=MSG_NOT_SET_UP)
    return Tile(**base, state=OK, src=src, expires_at=page_token.expires_at)


def dashboard_context(request: HttpRequest, *, tenant: Tenant, dashboard: Dashboard) -> dict:
    """Everything ``charts/_grid.html`` needs for ``dashboard`` as seen by ``tenant``.

    Pass a dashboard fetched with its tiles and their charts' workspaces prefetched (as
    ``tenancy.dashboard_for`` does): the grid then costs no query per tile.
    """
    now = datetime.now(timezone.utc)
    tiles = list(dashboard.tiles.all())
    charts = list({tile.chart.pk: tile.chart for tile in tiles}.values())
    page_tokens = grants.page_tokens(request, tenant=tenant, dashboard=dashboard, charts=charts, now=now)
    token_error = next((pt.error for pt in page_tokens.values() if pt.error), None)
    return {
        "dashboard": dashboard,
        "tenant": tenant,
        "tiles": [_tile(tile, page_tokens.get(tile.chart.workspace_id)) for tile in tiles],
        "page_tokens": page_tokens,
        "workspaces": [
            {"id": ws_id, "expires_at": pt.expires_at} for ws_id, pt in page_tokens.items() if pt.token
        ],
        "token_error": token_error,
        "token_url": reverse("charts:dashboard_token", args=[dashboard.slug]),
        "refresh_margin": settings.PANES_TOKEN_REFRESH_MARGIN_SECONDS,
        "server_now": int(now.timestamp()),
    }


def token_document(context: dict) -> dict:
    """The JSON the refresh script reads: fresh tokens per workspace and the charts that failed closed.

    ``token`` and ``expires_at`` at the top are those of the first workspace on the page that got
    a token (the only one, on most dashboards).
    """
    workspaces = {
        str(ws_id): {"token": pt.token, "expires_at": pt.expires_at}
        for ws_id, pt in context["page_tokens"].items()
        if pt.token
    }
    first = next(iter(workspaces.values()), {"token": None, "expires_at": None})
    unconfigured = sorted({tile.chart.pk for tile in context["tiles"] if tile.state == UNCONFIGURED})
    return {
        "token": first["token"],
        "expires_at": first["expires_at"],
        "workspaces": workspaces,
        "unconfigured": unconfigured,
        "tenant": context["tenant"].slug,
        "now": int(time.time()),
    }


def api_origin(request: HttpRequest, chart: Chart) -> str:
    """Where the frame fetches rows: the workspace's API host, the configured local origin, or
    this request's own origin (never stored: Panes does not know its own absolute URL)."""
    origin = chart.workspace.api_host or settings.PANES_LOCAL_API_ORIGIN
    if not origin:
        origin = f"{request.scheme}://{request.get_host()}"
    return origin.rstrip("/")


def frame_config(request: HttpRequest, chart: Chart) -> dict:
    """The display config of a Panes-rendered chart: no token, no tenant, no rows."""
    return {
        "chart": chart.pk,
        "type": chart.chart_type,
        "title": chart.title,
        "description": chart.description,
        "index": chart.index_column,
        "categories": chart.category_list,
        "colors": chart.color_list,
        "height": chart.height,
        "stacked": chart.stacked,
        "refresh_seconds": chart.refresh_seconds,
        "pipe": chart.pipe_name,
        "api": api_origin(request, chart),
    }


def dashboard_list(tenant: Tenant) -> QuerySet[Dashboard]:
    """The tenant's dashboards with their number of charts, in one query."""
    return tenancy.dashboards_for(tenant).annotate(chart_count=Count("tiles", distinct=True))
