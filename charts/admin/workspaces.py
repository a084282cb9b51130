"""Workspaces: where charts live and which variable holds each one's signing key."""
from __future__ import annotations

from django.contrib import admin
from django.db import models
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.utils.html import format_html

from .. import checks
from ..models import Workspace


@admin.register(Workspace)
class WorkspaceAdmin(admin.ModelAdmin):
    list_display = ["name", "workspace_id", "host", "signing_key_env", "signing_key", "chart_count"]
    search_fields = ["name", "workspace_id", "signing_key_env"]
    readonly_fields = ["signing_key"]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    fields = ["name", "workspace_id", "api_host", "signing_key_env", "signing_key", "default_tenant_params"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Workspace]:
        return super().get_queryset(request).annotate(chart_count=Count("charts"))

    @admin.display(description="host")
    def host(self, obj: Workspace) -> str:
        return obj.api_host or "Panes built-in"

    @admin.display(description="signing key")
    def signing_key(self, obj: Workspace) -> str:
        if not obj.signing_key_env:
            return "-"
        status, explanation = checks.signing_key_status(obj.signing_key_env)
        if status == checks.KEY_SET:
            return "set"
        return format_html('<strong class="errornote">{}</strong> — {}', status, explanation)

    @admin.display(description="charts", ordering="chart_count")
    def chart_count(self, obj: Workspace) -> int:
        return obj.chart_count
