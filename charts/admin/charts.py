"""Charts: Tinybird-hosted iframes (from a pasted snippet) or Panes-rendered pipes."""
from __future__ import annotations

from django.contrib import admin

from ..forms import ChartAdminForm
from ..models import Chart
from .gaps import GapReportMixin


@admin.register(Chart)
class ChartAdmin(GapReportMixin, admin.ModelAdmin):
    gap_side = "chart"
    gap_warning = "This chart fails closed for: {}"
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
                "fields": ["chart_type", "index_column", "category_columns", "colors", "stacked", "unit", "refresh_seconds"],
                "description": "Only for charts of kind Panes: how the built-in renderer draws the pipe's rows.",
            },
        ),
    ]

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
        return self.gap_names(obj)
