"""Exports: a dashboard's print page, and its PDF and PNG downloads drawn from that page by headless
Chromium (``charts.render``) with exactly what the viewer sees: their token, filters and theme.

A render holds a server thread for a few seconds; an export that cannot be drawn answers 503 with
the reason, never half a file.
"""
from __future__ import annotations

import logging
from collections.abc import Mapping

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.http.request import split_domain_port, validate_host
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET

from . import locale, pages, render as renderer, tenancy, themes
from .models import Chart, Dashboard, Tenant
from .views import _grid_response, _theme_cookie, with_tenant

log = logging.getLogger(__name__)


@never_cache
@login_required
@require_GET
@with_tenant()
def print_page(request: HttpRequest, tenant: Tenant, slug: str) -> HttpResponse:
    """The dashboard laid out as on screen for paper: header facts, then the grid, no controls."""
    board = tenancy.dashboard_for(request, slug)
    presentation = themes.presentation_from(request.GET, default_theme=_theme_cookie(request))
    context = pages.dashboard_context(request, tenant=tenant, dashboard=board, query=request.GET, presentation=presentation)
    language = get_language() or settings.LANGUAGE_CODE
    facts = renderer.print_facts(board.title_in(language), board.slug, context["filters"])
    context.update(facts=facts, facts_json=facts.as_json(), generated_at=timezone.localtime(), token_url=None)
    return _grid_response(request, context, template="charts/print.html", embed=False)


def _audience(request: HttpRequest, tenant: Tenant) -> renderer.Audience:
    return renderer.Audience(
        user=request.user,
        tenant=tenant,
        language=locale.supported_language(get_language()) or settings.LANGUAGE_CODE,
        time_zone=timezone.get_current_timezone_name(),
    )


LOOPBACK_HOSTS = ["localhost", "127.0.0.1", "[::1]"]


def _base_url(request: HttpRequest) -> str:
    """Where the renderer's browser opens the print page: PANES_SITE_URL, else this request's
    address if its host is one the operator named (in ALLOWED_HOSTS, or loopback). Under
    ALLOWED_HOSTS "*" (DEBUG's default) the Host header is the client's to choose, and the
    server's browser must not carry a copy of the viewer's session to a host they picked:
    "" then, which the renderer refuses with a clear reason."""
    if settings.PANES_SITE_URL:
        return settings.PANES_SITE_URL
    host = request.get_host()
    domain, _port = split_domain_port(host)
    named = [name for name in settings.ALLOWED_HOSTS if name != "*"] + LOOPBACK_HOSTS
    return f"{request.scheme}://{host}" if domain and validate_host(domain, named) else ""


def _query(request: HttpRequest) -> dict[str, str]:
    """The page's query as the renderer takes it (the last value of each key, as filters reads)."""
    return {key: request.GET.getlist(key)[-1] for key in request.GET if key != "theme"}


def _theme(request: HttpRequest) -> str:
    return themes.theme_from(request.GET.get("theme"), _theme_cookie(request))


def _render(request: HttpRequest, tenant: Tenant, board: Dashboard, query: Mapping[str, str], **options) -> renderer.DashboardRender:
    if request.session.modified or request.session.session_key is None:
        request.session.save()  # the render copies what is stored (the token cached there included)
    return renderer.render_dashboard(
        _audience(request, tenant),
        board,
        query,
        base_url=_base_url(request),
        theme=_theme(request),
        session_from=request.session,
        **options,
    )


def _failed(request: HttpRequest, board: Dashboard, what: str, error: renderer.RenderError) -> HttpResponse:
    log.warning("Export of %s failed: %s", request.path, error)
    context = {"message": what % {"error": error}, "dashboard": board, "title": board.title_in(get_language())}
    response = render(request, "charts/export_failed.html", context, status=503)
    response["Retry-After"] = "30"
    return response


def _attachment(content: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response


@never_cache
@login_required
@require_GET
@with_tenant()
def dashboard_pdf(request: HttpRequest, tenant: Tenant, slug: str) -> HttpResponse:
    board = tenancy.dashboard_for(request, slug)
    try:
        drawn = _render(request, tenant, board, _query(request), pdf=True, chart_ids=[])  # no tile images needed
    except renderer.RenderError as error:
        return _failed(request, board, _("The PDF could not be drawn: %(error)s"), error)
    if drawn.pdf is None:
        return _failed(request, board, _("The PDF could not be drawn: %(error)s"), renderer.RenderError(_("no PDF came out")))
    return _attachment(drawn.pdf, "application/pdf", f"{drawn.filename_stem}.pdf")


@never_cache
@login_required
@require_GET
@with_tenant()
def chart_png(request: HttpRequest, tenant: Tenant, slug: str, chart_id: int) -> HttpResponse:
    """One Panes-rendered chart of the dashboard as its tile is drawn; 404 for anything else."""
    board = tenancy.dashboard_for(request, slug)
    if not any(tile.chart_id == chart_id and tile.chart.kind == Chart.Kind.PANES for tile in board.tiles.all()):
        raise Http404("No such chart on this dashboard")
    try:
        drawn = _render(request, tenant, board, _query(request), pdf=False, chart_ids=[chart_id])
    except renderer.RenderError as error:
        return _failed(request, board, _("The image could not be drawn: %(error)s"), error)
    chart = next((c for c in drawn.charts if c.chart_id == chart_id and c.png is not None), None)
    if chart is None or chart.png is None:
        raise Http404("That chart is not drawn for this organisation")
    return _attachment(chart.png, "image/png", chart.png_name)
