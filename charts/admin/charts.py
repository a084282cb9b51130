"""Charts: Tinybird-hosted iframes (from a pasted snippet) or Panes-rendered pipes, edited in the
chart builder: the pipe picked from the workspace's listing, columns offered from the pipe's
``meta`` and checked, and the chart drawn live as a chosen tenant (``preview``)."""
from __future__ import annotations

from functools import partial
from typing import Any

from csp.constants import SELF
from csp.decorators import csp_replace
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.forms import ModelForm
from django.http import HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.shortcuts import get_object_or_404
from django.urls import URLPattern, path
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_GET, require_POST

from .. import checks
from ..forms import ChartAdminForm
from ..models import Chart, Tenant, Workspace
from ..title_fields import FIELD_NAMES as TITLE_FIELDS
from . import preview
from .gaps import GapReportMixin, object_id_of


@admin.register(Chart)
class ChartAdmin(GapReportMixin, admin.ModelAdmin):
    gap_side = "chart"
    gap_warning = gettext_noop("This chart fails closed for: {}")
    form = ChartAdminForm
    change_form_template = "admin/charts/chart/change_form.html"
    list_display = ["title", "kind", "workspace", "pipe_name", "params", "is_shared", "not_configured_for"]
    list_filter = ["kind", "chart_type", "is_shared", "workspace"]
    search_fields = ["title", "pipe_name", "pipe_id", "description"]
    list_select_related = ["workspace"]
    readonly_fields = ["embed_host", "embed_region", "embed_chart_uuid"]
    fieldsets = [
        (None, {"fields": ["workspace", "title", *TITLE_FIELDS, "description", "kind", "pipe_name", "pipe_id", "height"]}),
        (
            "Tenant filtering",
            {"fields": ["tenant_params", "is_shared"]},
        ),
        (
            "Tinybird-hosted chart",
            {
                "fields": ["snippet", "embed_host", "embed_region", "embed_chart_uuid"],
                "description": "Only for charts of kind Tinybird: paste the chart's iframe snippet.",
                "classes": ["panes-kind", "panes-kind-tinybird"],
            },
        ),
        (
            "Panes-rendered chart",
            {
                "fields": [
                    "chart_type", "index_column", "category_columns", "filter_params", "colors", "stacked", "unit", "refresh_seconds"
                ],
                "description": "Only for charts of kind Panes: how the built-in renderer draws the pipe's rows.",
                "classes": ["panes-kind", "panes-kind-panes"],
            },
        ),
        (
            "Clicks",
            {
                "fields": ["drill_pipe", "drill_params", "cross_filter_param"],
                "description": "Only for Panes charts other than single numbers: what a click on a bar, point, "
                "slice or row does. A tenant param, or a param a tenant's rules fix, is never set by a click: "
                "for such a tenant the drill-through or cross-filter is simply not offered.",
                "classes": ["panes-kind", "panes-kind-panes"],
            },
        ),
    ]

    @admin.display(description=gettext_lazy("tenant params"))
    def params(self, obj: Chart) -> str:
        if obj.is_shared:
            return _("(shared)")
        try:
            names = obj.tenant_param_names
        except Exception:  # a bad saved value; the form refuses these
            return "?"
        return ", ".join(names) or "-"

    @admin.display(description=gettext_lazy("not configured for"))
    def not_configured_for(self, obj: Chart) -> str:
        return self.gap_names(obj)

    # --- the builder ----------------------------------------------------------------------------

    def get_form(self, request: HttpRequest, obj: Chart | None = None, change: bool = False, **kwargs: Any) -> type[ModelForm]:
        form = super().get_form(request, obj, change=change, **kwargs)
        # Columns are checked by a sample query as the preview tenant, with this request's rights.
        return type(form.__name__, (form,), {"column_reader": staticmethod(partial(preview.read_columns, request))})

    def save_model(self, request: HttpRequest, obj: Chart, form: ModelForm, change: bool) -> None:
        super().save_model(request, obj, form, change)
        unchecked = getattr(form, "columns_unchecked", "")
        if unchecked and obj.kind == Chart.Kind.PANES:
            messages.warning(
                request, _("The columns of %(pipe)s were not checked: %(reason)s.") % {"pipe": obj.pipe_name, "reason": unchecked}
            )

    def get_urls(self) -> list[URLPattern]:
        view = self.admin_site.admin_view
        return [
            path("builder/pipes.json", view(self.builder_pipes_view), name="charts_chart_builder_pipes"),
            path("builder/preview.json", view(self.builder_preview_view), name="charts_chart_builder_preview"),
            path("builder/frame/", view(self.builder_frame_view), name="charts_chart_builder_frame"),
            *super().get_urls(),
        ]

    def _may_build(self, request: HttpRequest) -> None:
        if not (self.has_add_permission(request) or self.has_change_permission(request)):
            raise PermissionDenied

    @staticmethod
    def _may_preview(request: HttpRequest) -> None:
        if not request.user.has_perm(preview.PREVIEW_PERMISSION):
            raise PermissionDenied("You may not preview charts as a tenant.")

    def builder_pipes_view(self, request: HttpRequest) -> HttpResponse:
        self._may_build(request)
        raw = request.GET.get("workspace", "")
        if not (raw.isascii() and raw.isdigit()):
            return JsonResponse({"pipes": [], "error": "Choose a workspace."}, status=400)
        workspace = get_object_or_404(Workspace, pk=int(raw))
        return JsonResponse(preview.pipes_answer(request, workspace))

    def builder_preview_view(self, request: HttpRequest) -> HttpResponse:
        return require_POST(self._builder_preview)(request)

    def _builder_preview(self, request: HttpRequest) -> HttpResponse:
        self._may_build(request)
        self._may_preview(request)
        raw = request.GET.get("chart", "")
        obj = None
        if raw:
            if not (raw.isascii() and raw.isdigit()):
                return JsonResponse({"message": "Not a chart."}, status=400)
            obj = get_object_or_404(Chart.objects.select_related("workspace"), pk=int(raw))
            if not self.has_change_permission(request, obj):
                raise PermissionDenied
        form_class = self.get_form(request, obj, change=obj is not None)
        form = form_class(request.POST, instance=obj if obj is not None else Chart())
        assert isinstance(form, ChartAdminForm)
        return JsonResponse(preview.builder_answer(request, form))

    def builder_frame_view(self, request: HttpRequest) -> HttpResponseBase:
        # Framed by the change form only: this origin.
        framed = csp_replace({"frame-ancestors": [SELF]})(xframe_options_sameorigin(self._builder_frame))
        return require_GET(framed)(request)

    def _builder_frame(self, request: HttpRequest) -> HttpResponse:
        self._may_build(request)
        self._may_preview(request)
        return preview.builder_frame_page(request)

    def change_view(self, request: HttpRequest, object_id: str, form_url: str = "", extra_context=None) -> HttpResponse:
        pk = object_id_of(object_id)
        chart = Chart.objects.select_related("workspace").filter(pk=pk).first() if pk is not None else None
        if request.method == "GET" and chart is not None and (gaps := checks.drill_gaps(chart)):
            names = format_html_join(", ", "{} ({})", ((tenant.name, reason) for tenant, reason in gaps))
            messages.info(request, format_html(_("The drill-through is not offered to: {}"), names))
        return super().change_view(request, object_id, form_url, extra_context)

    def changeform_view(
        self, request: HttpRequest, object_id: str | None = None, form_url: str = "", extra_context: dict | None = None
    ) -> HttpResponse:
        extra = {
            "can_preview_chart": request.user.has_perm(preview.PREVIEW_PERMISSION),
            "preview_tenants": Tenant.objects.filter(is_active=True).order_by("name"),
            **(extra_context or {}),
        }
        return super().changeform_view(request, object_id, form_url, extra)
