"""Charts: Tinybird-hosted iframes (from a pasted snippet) or Panes-rendered pipes."""
from __future__ import annotations

from django.contrib import admin
from django.contrib.admin.views.main import ChangeList
from django.http import HttpRequest, HttpResponse

from .. import checks
from ..forms import ChartAdminForm
from ..models import Chart
from .gaps import ChartGapChangeList, gap_lines, object_id_of, warn_of_gaps


@admin.register(Chart)
class ChartAdmin(admin.ModelAdmin):
    form = ChartAdminForm
    list_display = ["title", "kind", "workspace", "pipe_name", "params", "is_shared", "not_configured_for"]
    list_filter = ["kind", "chart_type", "is_shared", "workspace"]
    search_fields = ["title", "pipe_name", "pipe_id", "description"]
    list_select_related = ["workspace"]
    readonly_fields = ["embed_host", "embed_region", "embed_chart_uuid"]
    fieldsets = [
        (None, {"fields": ["workspace", "title", "description", "kind", "pipe_name", "pipe_id", "height"]}),
        (
            "Tenant filtering",
            {"fields": ["tenant_params", "is_shared"]},
        ),
        (
            "Tinybird-hosted chart",
            {
                "fields": ["snippet", "embed_host", "embed_region", "embed_chart_uuid"],
                "description": "Only for charts of kind Tinybird: paste the chart's iframe snippet.",
            },
        ),
        (
            "Panes-rendered chart",
            {
                "fields": ["chart_type", "index_column", "category_columns", "colors", "stacked", "refresh_seconds"],
                "description": "Only for charts of kind Panes: how the built-in renderer draws the pipe's rows.",
            },
        ),
    ]

    def get_changelist(self, request: HttpRequest, **kwargs) -> type[ChangeList]:
        return ChartGapChangeList

    @admin.display(description="tenant params")
    def params(self, obj: Chart) -> str:
        if obj.is_shared:
            return "(shared)"
        try:
            names = obj.tenant_param_names
        except Exception:  # a bad saved value; the form refuses these
            return "?"
        return ", ".join(names) or "-"

    @admin.display(description="not configured for")
    def not_configured_for(self, obj: Chart) -> str:
        return gap_lines(getattr(obj, "panes_gaps", []), name_of=lambda g: g.tenant.name)

    def change_view(self, request: HttpRequest, object_id: str, form_url: str = "", extra_context=None) -> HttpResponse:
        chart_id = object_id_of(object_id)
        if request.method == "GET" and chart_id is not None:
            warn_of_gaps(
                request,
                checks.configuration_gaps(chart_id=chart_id),
                "This chart fails closed for: {}",
                name_of=lambda g: g.tenant.name,
            )
        return super().change_view(request, object_id, form_url, extra_context)
