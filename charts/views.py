"""Thin views: each finds its objects through ``tenancy`` and hands them to ``pages`` and a template.

Every page needs a signed-in user; only the login page (in ``config.urls``) is anonymous.
"""
from __future__ import annotations

import logging
from urllib.parse import urlsplit
from collections.abc import Callable
from functools import partial, wraps
from typing import TypeVar
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import Resolver404, resolve, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from csp.decorators import csp_replace, csp_update
from django.views.decorators.cache import never_cache
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.http import require_GET, require_POST

from lib.origins import SettingOrigins

from . import grants, pages, revisions, tenancy, themes
from .middleware import EMBED_ANCESTORS, embed_origins, xframe_options_for_chart_frames

# Grid pages may ask a Tinybird chart frame's host whether it answers (static/charts/frame_watch.js):
# a page cannot look inside another origin's frame. Not the chart frames: their connect-src stays
# the API hosts the operator allowed.
PROBE_FRAME_HOSTS = {"connect-src": [SettingOrigins("PANES_CSP_FRAME_SRC")]}
from .models import Chart, Tenant

log = logging.getLogger(__name__)

Found = TypeVar("Found")


def _no_tenant(request: HttpRequest, *, json: bool = False, embed: bool = False) -> HttpResponse:
    if json:
        return JsonResponse({"error": _("You are not a member of any active organisation.")}, status=403)
    # Staff without an organisation are setting Panes up: a way on to the admin, not a refusal.
    status = 200 if request.user.is_staff else 403
    return render(request, "charts/no_tenant.html", {"embed": embed}, status=status)


def signed_in_for_embed(view: Callable) -> Callable:
    """login_required for the embed views: an anonymous visitor gets a small frameable page whose
    link opens the sign-in in a new window (the sign-in page itself is never framed)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if request.user.is_authenticated:
            return view(request, *args, **kwargs)
        slug = kwargs.get("slug")
        after = reverse("charts:dashboard", args=[slug]) if slug else reverse("charts:dashboard_list")
        login_url = f"{reverse('login')}?{urlencode({'next': after})}"
        return render(request, "charts/embed_sign_in.html", {"login_url": login_url, "embed": True})

    return wrapper


def with_tenant(*, json: bool = False, embed: bool = False) -> Callable:
    """Pass the active tenant to the view; people without one get the no-organisation answer."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            tenant = tenancy.active_tenant(request)
            if tenant is None:
                return _no_tenant(request, json=json, embed=embed)
            return view(request, tenant, *args, **kwargs)

        return wrapper

    return decorator


def _log_token_errors(request: HttpRequest, context: dict) -> None:
    # Each error names a variable or a host, never a key; the tiles show it to staff only.
    for workspace_id, error in context["token_errors"].items():
        log.error("No chart token for workspace %s on %s: %s", workspace_id, request.path, error)


def _grid_response(request: HttpRequest, context: dict, *, template: str, embed: bool) -> HttpResponse:
    """The grid page; a workspace that got no token fails only its own tiles. 400 (with the page
    and its message) when a filter value in the URL is bad, so a shared link with a typo still
    shows the charts."""
    _log_token_errors(request, context)
    context.setdefault("probe_frames", False)
    # Where an embed may talk to: the framing page must be one of these.
    context["page_config"] = pages.page_config(context, embed=embed, origins=embed_origins() if embed else [])
    status = 400 if context["filters"].errors else 200
    return render(request, template, context, status=status)


def _theme_cookie(request: HttpRequest) -> str:
    return themes.theme_from(request.COOKIES.get(themes.THEME_COOKIE), themes.LIGHT)


@login_required
@require_GET
def dashboard_list(request: HttpRequest) -> HttpResponse:
    tenant = tenancy.active_tenant(request)
    if tenant is None:
        return _no_tenant(request)
    context = {"tenant": tenant, "dashboards": pages.dashboard_list(tenant), "theme": _theme_cookie(request)}
    return render(request, "charts/dashboard_list.html", context)


@never_cache
@login_required
@require_GET
@csp_update(PROBE_FRAME_HOSTS)
@with_tenant()
def dashboard(request: HttpRequest, tenant: Tenant, slug: str) -> HttpResponse:
    board = tenancy.dashboard_for(request, slug)
    presentation = themes.presentation_from(request.GET, default_theme=_theme_cookie(request))
    context = pages.dashboard_context(request, tenant=tenant, dashboard=board, query=request.GET, presentation=presentation)
    context["probe_frames"] = True  # this page's CSP lets it (PROBE_FRAME_HOSTS)
    return _grid_response(request, context, template="charts/dashboard.html", embed=False)


@never_cache
@require_GET
@xframe_options_exempt
@csp_replace(EMBED_ANCESTORS)
@csp_update(PROBE_FRAME_HOSTS)
@signed_in_for_embed
@with_tenant(embed=True)
def embed(request: HttpRequest, tenant: Tenant, slug: str) -> HttpResponse:
    board = tenancy.dashboard_for(request, slug)
    presentation = themes.presentation_from(request.GET, default_theme=themes.LIGHT, embed=True)
    context = pages.dashboard_context(request, tenant=tenant, dashboard=board, query=request.GET, presentation=presentation)
    context["probe_frames"] = True  # this page's CSP lets it (PROBE_FRAME_HOSTS)
    return _grid_response(request, context, template="charts/embed.html", embed=True)


@never_cache
@require_GET
@xframe_options_exempt
@csp_replace(EMBED_ANCESTORS)
@csp_update(PROBE_FRAME_HOSTS)
@signed_in_for_embed
@with_tenant(embed=True)
def chart_embed(request: HttpRequest, tenant: Tenant, chart_id: int) -> HttpResponse:
    """One chart, framed by an allowed origin: the same rules as the dashboard embed."""
    chart = pages.visible_chart(tenant, chart_id)
    presentation = themes.presentation_from(request.GET, default_theme=themes.LIGHT, embed=True)
    context = pages.chart_context(request, tenant=tenant, chart=chart, query=request.GET, presentation=presentation)
    context["probe_frames"] = True  # this page's CSP lets it (PROBE_FRAME_HOSTS)
    return _grid_response(request, context, template="charts/embed.html", embed=True)


def token_response(
    request: HttpRequest, find: Callable[[], Found], context_of: Callable[[Found], dict], *, tenant: Tenant, missing: str
) -> JsonResponse:
    """The token refresh of a grid for the active ``tenant``: ``find`` looks up its dashboard or
    chart (a 404 there is a JSON 404 "No such <missing>."), ``context_of`` builds the page context
    that mints the tokens. A workspace that got no token is left out of ``workspaces`` and its
    charts are listed under ``unavailable``. Personal dashboards answer the same."""
    # The object, not the path: the URL's name and converted arguments (/embed/chart/01/ is chart 1).
    match = request.resolver_match
    target = (match.view_name, *(match.kwargs[k] for k in sorted(match.kwargs))) if match else (request.path,)
    cached = grants.cached_answer(request, tenant=tenant, target=target)
    if cached is not None:
        return JsonResponse(cached)
    revision = revisions.current()  # read first: a change while building makes the answer stale
    try:
        found = find()
    except Http404:
        return JsonResponse({"error": f"No such {missing}."}, status=404)
    context = context_of(found)
    _log_token_errors(request, context)
    answer = pages.token_document(context)
    if not context["token_errors"]:  # a key set meanwhile must count on the next refresh
        grants.remember_answer(
            request, tenant=tenant, target=target, answer=answer, page_tokens=context["page_tokens"], revision=revision
        )
    return JsonResponse(answer)


@never_cache
@login_required
@require_GET
@with_tenant(json=True)
def dashboard_token(request: HttpRequest, tenant: Tenant, slug: str) -> JsonResponse:
    return token_response(
        request,
        partial(tenancy.dashboard_for, request, slug),
        lambda board: pages.dashboard_context(request, tenant=tenant, dashboard=board),
        tenant=tenant,
        missing="dashboard",
    )


@never_cache
@login_required
@require_GET
@with_tenant(json=True)
def chart_embed_token(request: HttpRequest, tenant: Tenant, chart_id: int) -> JsonResponse:
    return token_response(
        request,
        partial(pages.visible_chart, tenant, chart_id),
        lambda chart: pages.chart_context(request, tenant=tenant, chart=chart),
        tenant=tenant,
        missing="chart",
    )


@login_required
@require_GET
@xframe_options_for_chart_frames
@csp_replace(EMBED_ANCESTORS)  # type: ignore[arg-type]  # django-csp types a view as view(request), no URL args
def chart_frame(request: HttpRequest, chart_id: int) -> HttpResponse:
    chart = tenancy.chart_for(request, chart_id)
    config, bad = pages.chart_frame_config(request, chart, tenancy.active_tenant(request))
    return _frame_response(request, chart, config, bad=bad)


@login_required
@require_GET
@xframe_options_for_chart_frames
@csp_replace(EMBED_ANCESTORS)  # type: ignore[arg-type]  # django-csp types a view as view(request), no URL args
def drill_frame(request: HttpRequest, chart_id: int) -> HttpResponse:
    """A chart's drill-through: the detail table a click opens, in the page's drill panel."""
    chart = tenancy.chart_for(request, chart_id)
    config, bad = pages.drill_frame_config(request, chart, tenancy.active_tenant(request))
    return _frame_response(request, chart, config, bad=bad)


def _frame_response(request: HttpRequest, chart: Chart, config: dict, *, bad: bool) -> HttpResponse:
    """A frame page; 400 (still drawn, with the message) when a value in its URL is bad."""
    context = {
        "chart": chart,
        "config": config,
        "theme": themes.theme_from(request.GET.get("theme"), themes.LIGHT),
        "titled": themes.switch_from(request.GET.get("titled")),
    }
    return render(request, "charts/frame.html", context, status=400 if bad else 200)


@login_required
@require_POST
def switch_tenant(request: HttpRequest) -> HttpResponse:
    try:
        tenant_id = int(request.POST.get("tenant", ""))
    except ValueError:
        raise Http404("No such organisation") from None
    tenant = tenancy.switch_tenant(request, tenant_id)
    if tenant is None:
        raise Http404("No such organisation")
    return redirect(_same_page_for(request, tenant) or "charts:dashboard_list")


def _same_page_for(request: HttpRequest, tenant: Tenant) -> str | None:
    """The page the switch was made on (POST ``next``), when the new organisation sees it too:
    a shared dashboard it sees, with its filters, or My dashboards. None for anything else."""
    here = request.POST.get("next", "")
    if not here.startswith("/") or not url_has_allowed_host_and_scheme(here, allowed_hosts={request.get_host()}):
        return None
    parts = urlsplit(here)
    try:
        match = resolve(parts.path)
    except Resolver404:
        return None
    if match.view_name == "charts:dashboard" and tenancy.dashboards_for(tenant).filter(slug=match.kwargs["slug"]).exists():
        return parts.path + (f"?{parts.query}" if parts.query else "")
    if match.view_name == "charts:personal_list":
        return parts.path
    return None
