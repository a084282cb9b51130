"""What the dashboard pages render: tiles with their iframe URLs and tokens, placed server-side.

``dashboard_context`` is the one place that turns a dashboard, a tenant and a request into the
grid. The dashboard, embed and admin preview pages all call it and include
``charts/_grid.html``, which renders from exactly the dict it returns:

- ``dashboard`` (None for a single-chart embed), ``title``, ``tenant``
- ``tiles``: a list of :class:`Tile`, each drawn by ``charts/_tile.html``
- ``placeholder``: an unconfigured :class:`Tile` of no chart, drawn into a ``<template>`` that
  ``dashboard.js`` copies when a refreshed token no longer covers a chart
- ``filters``: the parsed :class:`charts.filters.Filters` (offered params, values, errors)
- ``presentation``: the :class:`charts.themes.Presentation` (theme, embed switches)
- ``page_tokens``: workspace pk -> ``grants.PageToken`` (one token per workspace)
- ``workspaces``: ``[{"id", "expires_at"}]`` for the refresh script (no tokens)
- ``token_errors``: workspace pk -> why it got no token (names the variable or host, never the
  key); only that workspace's tiles say so, the page and the other charts work
- ``token_url``: where ``dashboard.js`` fetches fresh tokens; None disables refreshing (a
  preview for another tenant must not refresh with the viewer's own tenant)
- ``refresh_margin``, ``server_now``: seconds, for the refresh script
- ``refresh_seconds``: the dashboard's auto-refresh interval (None: none)

``page_config`` turns that dict into the JSON the page scripts read (``panes-page-config``).
"""
from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from urllib.parse import quote, urlencode

from django.conf import settings
from django.db.models import Count, QuerySet
from django.http import Http404, HttpRequest
from django.urls import reverse
from django.utils.timezone import get_current_timezone_name
from django.utils.translation import get_language
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from . import filters, grants, locale, periods, routing, snippets, tenancy, themes
from .models import Chart, Dashboard, DashboardChart, Tenant, TenantFilterRule

OK = "ok"
UNCONFIGURED = "unconfigured"
UNAVAILABLE = "unavailable"

# Lazy: each page shows them in its own language.
MSG_UNCONFIGURED = _("Not configured for your organisation")
MSG_HOST_UNAVAILABLE = _("Chart host unavailable")
MSG_NOT_SET_UP = _("This chart is not set up yet")
MSG_KEY_MISSING = _("Charts of this workspace are not configured yet")

API_VERSION = 1  # of the embed API (static/charts/protocol.js API_VERSION)


@dataclass(frozen=True)
class Tile:
    """One chart on the grid, as ``charts/_tile.html`` draws it."""

    id: int
    chart: Chart
    width: int  # columns of 12
    height: int  # pixels
    state: str  # OK | UNCONFIGURED | UNAVAILABLE
    message: str = ""  # in the page's language
    src: str | None = None
    expires_at: int | None = None
    missing: tuple[str, ...] = field(default_factory=tuple)  # params the tenant has no rule for
    filter_params: tuple[str, ...] = field(default_factory=tuple)  # what the viewer may set on it
    detail: str = ""  # why it got no token, for staff only (names a variable or host, never a key)
    cross_filter: str = ""  # the param a click on it sets for the other charts ("" none)
    drill: dict | None = None  # {"url", "params", "title"} of its drill-through, when offered

    @property
    def kind(self) -> str:
        return self.chart.kind

    @property
    def is_tinybird(self) -> bool:
        return self.chart.kind == Chart.Kind.TINYBIRD

    @property
    def workspace_id(self) -> int:
        return self.chart.workspace_id


def frame_src(chart: Chart, token: str, query: Mapping[str, str] | None = None) -> str:
    """The Panes frame URL; the token rides in the fragment, which browsers never send anywhere.

    ``query`` carries the theme and filter values, never anything secret.
    """
    search = f"?{urlencode(query)}" if query else ""
    return f"{reverse('charts:frame', args=[chart.pk])}{search}#token={quote(token, safe='')}"


def tile_src(chart: Chart, token: str, query: Mapping[str, str] | None = None) -> str:
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
    return frame_src(chart, token, query)


def with_locale(url: str, language: str) -> str:
    """``url`` (a path without a query) asking for ``language`` (``?locale=``), or as it is."""
    return f"{url}?{urlencode({locale.QUERY_KEY: language})}" if language else url


def drill_of(chart: Chart) -> dict:
    """What the page needs to open ``chart``'s drill-through (offered or not is the caller's)."""
    return {
        "url": reverse("charts:drill_frame", args=[chart.pk]),
        "params": list(filters.drill_params(chart)),
        "title": chart.title_in(get_language()),
    }


def _tile(
    tile: DashboardChart,
    page_token: grants.PageToken | None,
    *,
    filter_params: tuple[str, ...] = (),
    query: Mapping[str, str] | None = None,
    cross_filter: str = "",
    drill: bool = False,
) -> Tile:
    chart = tile.chart
    unavailable = Tile(
        id=tile.pk,
        chart=chart,
        width=min(max(tile.width, 1), 12),
        height=tile.effective_height,
        filter_params=filter_params,
        state=UNAVAILABLE,
        message=str(MSG_HOST_UNAVAILABLE),
        cross_filter=cross_filter,
    )
    if page_token is None:
        return unavailable
    if page_token.error:
        message = MSG_HOST_UNAVAILABLE if page_token.host_refused else MSG_KEY_MISSING
        return replace(unavailable, message=str(message), detail=page_token.error)
    if chart.pk in page_token.unconfigured or not page_token.token:
        missing = tuple(page_token.unconfigured.get(chart.pk, ()))
        return replace(unavailable, state=UNCONFIGURED, message=str(MSG_UNCONFIGURED), missing=missing)
    try:
        src = tile_src(chart, page_token.token, query)
    except ValueError:  # includes snippets.SnippetError: a stored URL that no longer validates
        return replace(unavailable, message=str(MSG_NOT_SET_UP))
    offered = drill and chart.pk not in page_token.no_drill
    return replace(
        unavailable,
        state=OK,
        message="",
        src=src,
        expires_at=page_token.expires_at,
        drill=drill_of(chart) if offered else None,
    )


def _placeholder() -> Tile:
    """The tile the refresh script copies (and fills with a chart's id and title) when a fresh
    token no longer covers that chart: the same markup as a tile that failed closed on the server."""
    chart = Chart(title="")
    return Tile(id=0, chart=chart, width=12, height=chart.height, state=UNCONFIGURED, message=str(MSG_UNCONFIGURED))


def dashboard_context(
    request: HttpRequest,
    *,
    tenant: Tenant,
    dashboard: Dashboard,
    query: Mapping | None = None,
    presentation: themes.Presentation | None = None,
) -> dict:
    """Everything ``charts/_grid.html`` needs for ``dashboard`` as seen by ``tenant``.

    Pass a dashboard fetched with its tiles and their charts' workspaces prefetched (as
    ``tenancy.dashboard_for`` does): the grid then costs no query per tile. ``query`` holds the
    filter values asked for (the page's query string); only offered params are kept.
    """
    context = _grid_context(
        request,
        tenant=tenant,
        dashboard=dashboard,
        tiles=list(dashboard.tiles.all()),
        query=query,
        presentation=presentation,
    )
    token_url = with_locale(reverse("charts:dashboard_token", args=[dashboard.slug]), locale.query_language(request.GET))
    context.update(title=dashboard.title_in(get_language()), token_url=token_url)
    return context


def chart_context(
    request: HttpRequest,
    *,
    tenant: Tenant,
    chart: Chart,
    query: Mapping | None = None,
    presentation: themes.Presentation | None = None,
) -> dict:
    """The grid of a single-chart embed: one full-width tile, with a token for that chart only."""
    tile = DashboardChart(chart=chart, width=12, position=0)
    context = _grid_context(request, tenant=tenant, dashboard=None, tiles=[tile], query=query, presentation=presentation)
    token_url = with_locale(reverse("charts:chart_embed_token", args=[chart.pk]), locale.query_language(request.GET))
    context.update(title=chart.title_in(get_language()), token_url=token_url)
    return context


def _grid_context(
    request: HttpRequest,
    *,
    tenant: Tenant,
    dashboard: Dashboard | None,
    tiles: Sequence[DashboardChart],
    query: Mapping | None,
    presentation: themes.Presentation | None,
) -> dict:
    now = datetime.now(timezone.utc)
    presentation = presentation or themes.Presentation()
    charts = list({tile.chart.pk: tile.chart for tile in tiles}.values())
    rules = grants.tenant_rules(tenant)
    page_tokens = grants.page_tokens(request, tenant=tenant, dashboard=dashboard, charts=charts, rules=rules, now=now)
    # A workspace with no usable key, or whose host the operator did not allow, fails its own
    # tiles, not the whole page: its charts got no token, the others' still draw.
    token_errors = {ws_id: pt.error for ws_id, pt in page_tokens.items() if pt.error}
    per_chart = {chart.pk: filters.chart_params(chart, rules) for chart in charts}
    cross = {chart.pk: filters.cross_filter_of(chart, rules) for chart in charts}
    drills = {chart.pk: filters.drill_offered(chart, rules) for chart in charts}
    # A param some chart sets by a click is offered even when no chart shows it as a field.
    cross_filters = tuple(dict.fromkeys(name for name in cross.values() if name))
    offered = filters.offered_params([*per_chart.values(), cross_filters])
    parsed = filters.parse(query or {}, offered, cross_filters=cross_filters)
    frame_query = presentation.frame_query()
    # A page drawn in the language its URL asks for (an embed's data-locale) draws its charts,
    # drill-throughs and refreshed messages in it too.
    asked = locale.query_language(request.GET)
    if asked:
        frame_query[locale.QUERY_KEY] = asked

    def tile_of(tile: DashboardChart) -> Tile:
        params = per_chart[tile.chart.pk]
        own = cross[tile.chart.pk]
        values = parsed.for_chart(name for name in params if name != own)  # never filtered by its own click
        if parsed.compare and compares(params):
            values[filters.COMPARE] = parsed.compare
        drawn = _tile(
            tile,
            page_tokens.get(tile.chart.workspace_id),
            filter_params=params,
            query={**frame_query, **values},
            cross_filter=own,
            drill=drills[tile.chart.pk],
        )
        if asked and drawn.drill:
            drawn.drill["url"] = with_locale(drawn.drill["url"], asked)
        return drawn

    return {
        "dashboard": dashboard,
        "tenant": tenant,
        "tiles": [tile_of(tile) for tile in tiles],
        "placeholder": _placeholder(),
        "filters": parsed,
        "presentation": presentation,
        "themes": [(value, themes.THEME_LABELS[value]) for value in themes.THEMES],
        "page_tokens": page_tokens,
        "workspaces": [
            {"id": ws_id, "expires_at": pt.expires_at} for ws_id, pt in page_tokens.items() if pt.token
        ],
        "token_errors": token_errors,
        "refresh_margin": settings.PANES_TOKEN_REFRESH_MARGIN_SECONDS,
        "server_now": int(now.timestamp()),
        "refresh_seconds": dashboard.refresh_seconds if dashboard else None,
    }


def compares(params: Sequence[str]) -> bool:
    """A chart can be compared with an earlier period when it takes both ends of the date range."""
    return filters.DATE_FROM in params and filters.DATE_TO in params


def page_config(context: dict, *, embed: bool, origins: Sequence[str] = ()) -> dict:
    """The JSON the grid page's scripts read (``panes-page-config``): no token, no rows.

    ``origins`` are where an embed may talk to (its framing page must be one of them).
    """
    parsed: filters.Filters = context["filters"]
    charts = {tile.chart.pk: tile.chart for tile in context["tiles"]}
    return {
        "embed": embed,
        "title": context["title"],
        "filters": parsed.values,
        "origins": list(origins),
        "period": parsed.period,
        "compare": parsed.compare,
        "presets": [[key, gettext(label)] for key, label in periods.PRESETS.items()],
        "comparisons": [[key, gettext(label)] for key, label in periods.COMPARISONS.items()],
        "cross_filters": list(parsed.cross_filters),
        "refresh_seconds": context.get("refresh_seconds"),
        "api_version": API_VERSION,
        "charts": [{"id": chart.pk, "title": chart.title_in(get_language())} for chart in charts.values()],
    }


def visible_chart(tenant: Tenant, chart_id: int) -> Chart:
    """A chart (of either kind) on a dashboard ``tenant`` can see, or 404: the single-chart embed
    follows the dashboard's rule, and never reveals that another tenant's chart exists."""
    visible = Dashboard.objects.visible_to(tenant).values("pk")
    try:
        return Chart.objects.select_related("workspace").filter(dashboards__in=visible).distinct().get(pk=chart_id)
    except Chart.DoesNotExist:
        raise Http404("No such chart") from None


def token_document(context: dict) -> dict:
    """The JSON the refresh script reads: fresh tokens per workspace, the charts that failed closed
    and, under ``unavailable``, chart id -> message for those whose workspace got no token.

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
    # Charts whose workspace got no token (no key, host not allowed): the tile's own message.
    unavailable = {str(tile.chart.pk): tile.message for tile in context["tiles"] if tile.state == UNAVAILABLE}
    return {
        "token": first["token"],
        "expires_at": first["expires_at"],
        "workspaces": workspaces,
        "unconfigured": unconfigured,
        "unavailable": unavailable,
        "tenant": context["tenant"].slug,
        "now": int(time.time()),
    }


def api_origin(request: HttpRequest, chart: Chart) -> str:
    """Where the frame fetches rows: the workspace's API host, the configured local origin, or
    this request's own origin (never stored: Panes does not know its own absolute URL).

    "" for a workspace whose API host the operator did not allow: the frame gets no host to
    send a viewer's token to, and says the chart host is unavailable.
    """
    api_host = chart.workspace.api_host
    if api_host:
        if routing.route_problem(api_host, chart.workspace.signing_key_env) is not None:
            return ""
        return routing.normalise_origin(api_host)
    origin = settings.PANES_LOCAL_API_ORIGIN or f"{request.scheme}://{request.get_host()}"
    return origin.rstrip("/")


def frame_config(
    request: HttpRequest,
    chart: Chart,
    *,
    tenant: Tenant | None = None,
    filter_params: Sequence[str] = (),
    filter_values: Mapping[str, str] | None = None,
    error: str = "",
    cross_filter: str = "",
    drill: bool = False,
    compare: str = "",
) -> dict:
    """The display config of a Panes-rendered chart: no token, no tenant slug, no rows.

    ``filter_params`` are the params the frame accepts from its page; ``filter_values`` those it
    starts with. ``palette`` is the tenant's brand palette, used when the chart sets no colours.
    ``cross_filter`` and ``drill`` say what a click on a mark does (what the tenant is offered);
    ``compare`` is the comparison key, kept only for a chart that takes the date range.
    """
    compare_ok = compares(filter_params)
    config = {
        "chart": chart.pk,
        "type": chart.chart_type,
        "title": chart.title_in(get_language()),
        "description": chart.description,
        "index": chart.index_column,
        "categories": list(chart.category_columns),
        "colors": list(chart.colors),
        "palette": themes.palette(tenant.brand_colors) if tenant else [],
        "height": chart.height,
        "stacked": chart.stacked,
        "unit": chart.unit,
        "refresh_seconds": chart.refresh_seconds,
        "pipe": chart.pipe_name,
        "api": api_origin(request, chart),
        "filter_params": list(filter_params),
        "filters": dict(filter_values or {}),
        "mode": "chart",
        "cross_filter": cross_filter,
        "drill": drill,
        "compare_ok": compare_ok,
        "compare": compare if compare_ok else "",
        # Intl in the frame: numbers and dates in the page's language; date-times (never pure
        # dates) shown in the viewer's time zone.
        "locale": get_language() or settings.LANGUAGE_CODE,
        "time_zone": get_current_timezone_name(),
    }
    if not config["api"]:
        error = str(MSG_HOST_UNAVAILABLE)
    if error:
        config["error"] = error
    return config


def chart_frame_config(request: HttpRequest, chart: Chart, tenant: Tenant | None) -> tuple[dict, bool]:
    """The chart frame's config for the viewer's tenant, with the values and comparison in its
    URL, and whether one of those is bad (its ``error`` says which). Without a tenant (staff
    previewing) nothing is clickable: what a click may do depends on a tenant's rules."""
    rules: list[TenantFilterRule] = grants.tenant_rules(tenant) if tenant else []
    params = filters.chart_params(chart, rules)
    parsed = filters.parse(request.GET, params)
    config = frame_config(
        request,
        chart,
        tenant=tenant,
        filter_params=params,
        filter_values=parsed.values,
        error=" ".join(parsed.error_messages),
        cross_filter=filters.cross_filter_of(chart, rules) if tenant else "",
        drill=filters.drill_offered(chart, rules) if tenant else False,
        compare=parsed.compare,
    )
    return config, bool(parsed.errors)


def drill_frame_config(request: HttpRequest, chart: Chart, tenant: Tenant | None) -> tuple[dict, bool]:
    """The config of ``chart``'s detail table: its drill pipe's rows for the page's filters and
    the drill values in the URL. 404 when the chart has no drill-through the tenant is offered
    (staff previewing without a tenant: when one is configured; the token decides the rows)."""
    rules: list[TenantFilterRule] = grants.tenant_rules(tenant) if tenant else []
    offered = filters.drill_offered(chart, rules) if tenant else chart.has_drill and chart.clickable
    if not offered:
        raise Http404("No drill-through")
    drill_params = filters.drill_params(chart)
    params = tuple(dict.fromkeys((*filters.chart_params(chart, rules), *drill_params)))
    parsed = filters.parse(request.GET, params)
    config = frame_config(
        request,
        chart,
        tenant=tenant,
        filter_params=params,
        filter_values=parsed.values,
        error=" ".join(parsed.error_messages),
        drill=True,
    )
    config.update(
        mode="detail",
        type=Chart.ChartType.TABLE.value,
        pipe=chart.drill_pipe,
        title=chart.title_in(get_language()),
        drill_params=list(drill_params),
        compare_ok=False,
        compare="",
    )
    return config, bool(parsed.errors)


def dashboard_list(tenant: Tenant) -> QuerySet[Dashboard]:
    """The tenant's dashboards with their number of charts, in one query."""
    return tenancy.dashboards_for(tenant).annotate(chart_count=Count("tiles", distinct=True))
