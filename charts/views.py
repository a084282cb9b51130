"""Thin views: each finds its objects through tenancy and hands them to a template."""
from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from . import tenancy


@login_required
def dashboard_list(request: HttpRequest) -> HttpResponse:
    tenant = tenancy.active_tenant(request)
    dashboards = list(tenancy.dashboards_for(tenant)) if tenant else []
    return render(request, "charts/dashboard_list.html", {"tenant": tenant, "dashboards": dashboards})
