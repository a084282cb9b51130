"""Thin views: each finds its objects through ``tenancy`` and hands them to ``pages`` and a template.

Every page needs a signed-in user; only the login page (in ``config.urls``) is anonymous.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from . import pages, tenancy
from .models import Tenant

log = logging.getLogger(__name__)

UNAVAILABLE_MESSAGE = "Charts are unavailable right now: the chart host's signing key is not configured."


def _no_tenant(request: HttpRequest, *, json: bool = False, embed: bool = False) -> HttpResponse:
    if json:
        return JsonResponse({"error": "You are not a member of any active organisation."}, status=403)
    response = render(request, "charts/no_tenant.html", {"embed": embed}, status=403)
    response.panes_embeddable = embed
    return response


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


def _unavailable(request: HttpRequest, error: str, *, embed: bool = False) -> HttpResponse:
    # The error names the variable, never the key; only staff are shown even that.
    log.error("Cannot mint chart tokens for %s: %s", request.path, error)
    context = {"message": UNAVAILABLE_MESSAGE, "detail": error if request.user.is_staff else "", "embed": embed}
    response = render(request, "charts/unavailable.html", context, status=503)
    response.panes_embeddable = embed
    return response


def _grid_page(request: HttpRequest, tenant: Tenant, slug: str, *, template: str, embed: bool) -> HttpResponse:
    board = tenancy.dashboard_for(request, slug)
    context = pages.dashboard_context(request, tenant=tenant, dashboard=board)
    if context["token_error"]:
        return _unavailable(request, context["token_error"], embed=embed)
    response = render(request, template, context)
    response.panes_embeddable = embed
    return response


@login_required
@require_GET
def dashboard_list(request: HttpRequest) -> HttpResponse:
    tenant = tenancy.active_tenant(request)
    if tenant is None:
        return _no_tenant(request)
    return render(request, "charts/dashboard_list.html", {"tenant": tenant, "dashboards": pages.dashboard_list(tenant)})


@never_cache
@login_required
@require_GET
@with_tenant()
def dashboard(request: HttpRequest, tenant: Tenant, slug: str) -> HttpResponse:
    return _grid_page(request, tenant, slug, template="charts/dashboard.html", embed=False)


@never_cache
@login_required
@require_GET
@with_tenant(embed=True)
def embed(request: HttpRequest, tenant: Tenant, slug: str) -> HttpResponse:
    return _grid_page(request, tenant, slug, template="charts/embed.html", embed=True)


@never_cache
@login_required
@require_GET
@with_tenant(json=True)
def dashboard_token(request: HttpRequest, tenant: Tenant, slug: str) -> JsonResponse:
    try:
        board = tenancy.dashboard_for(request, slug)
    except Http404:
        return JsonResponse({"error": "No such dashboard."}, status=404)
    context = pages.dashboard_context(request, tenant=tenant, dashboard=board)
    if context["token_error"]:
        log.error("Cannot mint chart tokens for %s: %s", request.path, context["token_error"])
        detail = f" {context['token_error']}" if request.user.is_staff else ""
        return JsonResponse({"error": UNAVAILABLE_MESSAGE + detail}, status=503)
    return JsonResponse(pages.token_document(context))


@login_required
@require_GET
def chart_frame(request: HttpRequest, chart_id: int) -> HttpResponse:
    chart = tenancy.chart_for(request, chart_id)
    response = render(request, "charts/frame.html", {"chart": chart, "config": pages.frame_config(request, chart)})
    response.panes_same_origin_frame = True
    return response


@login_required
@require_POST
def switch_tenant(request: HttpRequest) -> HttpResponse:
    try:
        tenant_id = int(request.POST.get("tenant", ""))
    except ValueError:
        raise Http404("No such organisation") from None
    if tenancy.switch_tenant(request, tenant_id) is None:
        raise Http404("No such organisation")
    return redirect("charts:dashboard_list")
