"""Dashboards and their tiles; "Preview as tenant" lives in ``preview``.

The change form's layout editor (static/charts/admin/layout.js) draws the tiles inline on the
12-column grid and edits the inline's own position and width inputs, so a layout is saved by the
normal admin save and the form works without JavaScript."""
from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypedDict, cast

from django.contrib import admin
from django.db.models import Count, Prefetch, QuerySet
from django.http import HttpRequest, HttpResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ..models import Chart, Dashboard, DashboardChart, DashboardQuerySet, Tenant
from ..title_fields import TitleTranslationsForm, with_translations_after_title
from .preview import PREVIEW_PERMISSION, preview_view
from .widgets import SafeAutocomplete

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

    class _ChartCount(TypedDict):  # what get_queryset annotates
        chart_count: int


# Only a person's own dashboard has these; a shared one never shows them.
PERSONAL_FIELDS = ("owner", "owner_tenant")


def layout_charts() -> list[tuple[int, str]]:
    """The charts the layout editor offers to add, by title."""
    return [(pk, f"{title} ({pipe})") for pk, title, pipe in Chart.objects.order_by("title", "id").values_list("pk", "title", "pipe_name")]


class DashboardChartInline(SafeAutocomplete, admin.TabularInline):
    model = DashboardChart
    extra = 0
    fields = ["chart", "position", "width", "height"]
    autocomplete_fields = ["chart"]
    ordering = ["position", "id"]


class DashboardAdminForm(TitleTranslationsForm):
    class Meta:
        model = Dashboard
        exclude = ["title_translations"]


@admin.register(Dashboard)
class DashboardAdmin(SafeAutocomplete, admin.ModelAdmin):
    form = DashboardAdminForm
    list_display = ["title", "slug", "visible_to_all", "tenant_list", "chart_count", "preview_link"]
    list_filter = ["visible_to_all", "tenants"]
    search_fields = ["title", "slug", "description"]
    prepopulated_fields = {"slug": ["title"]}
    autocomplete_fields = ["tenants"]
    inlines = [DashboardChartInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Dashboard]:
        # Personal dashboards are their owners' own; the admin manages the shared ones.
        # (ModelAdmin is not generic at runtime, so mypy cannot know the default manager's queryset.)
        dashboards = cast(DashboardQuerySet, super().get_queryset(request))
        return (
            dashboards.shared()
            .annotate(chart_count=Count("tiles", distinct=True))
            .prefetch_related(Prefetch("tenants", queryset=Tenant.objects.order_by("name")))
        )

    @admin.display(description=gettext_lazy("tenants"))
    def tenant_list(self, obj: Dashboard) -> str:
        if obj.visible_to_all:
            return _("every tenant")
        return ", ".join(t.name for t in obj.tenants.all()) or _("nobody")

    @admin.display(description=gettext_lazy("charts"), ordering="chart_count")
    def chart_count(self, obj: WithAnnotations[Dashboard, _ChartCount]) -> int:
        return obj.chart_count

    @admin.display(description=gettext_lazy("preview"))
    def preview_link(self, obj: Dashboard) -> str:
        return format_html('<a href="{}">{}</a>', reverse("admin:charts_dashboard_preview", args=[obj.pk]), _("Preview as tenant"))

    def get_list_display(self, request: HttpRequest) -> list[str | Callable[[Any], str | bool]]:
        names = list(super().get_list_display(request))
        if not request.user.has_perm(PREVIEW_PERMISSION):
            names.remove("preview_link")
        return names

    def get_urls(self) -> list:
        preview = path(
            "<int:object_id>/preview/",
            self.admin_site.admin_view(self.preview_view),
            name="charts_dashboard_preview",
        )
        return [preview, *super().get_urls()]

    def get_fields(self, request: HttpRequest, obj: Dashboard | None = None) -> Any:
        fields = with_translations_after_title(list(super().get_fields(request, obj)))
        if obj is not None and obj.is_personal:
            return fields
        return [f for f in fields if f not in PERSONAL_FIELDS]

    def add_view(self, request: HttpRequest, form_url: str = "", extra_context=None) -> HttpResponse:
        extra_context = {**(extra_context or {}), "layout_charts": layout_charts()}
        return super().add_view(request, form_url, extra_context)

    def change_view(self, request: HttpRequest, object_id: str, form_url: str = "", extra_context=None) -> HttpResponse:
        extra_context = {
            **(extra_context or {}),
            "can_preview": request.user.has_perm(PREVIEW_PERMISSION),
            "layout_charts": layout_charts(),
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def preview_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        return preview_view(self, request, object_id)


@admin.register(DashboardChart)
class DashboardChartAdmin(SafeAutocomplete, admin.ModelAdmin):
    list_display = ["dashboard", "position", "chart", "width", "height"]
    list_filter = ["dashboard"]
    search_fields = ["dashboard__title", "chart__title", "chart__pipe_name"]
    list_select_related = ["dashboard", "chart"]
    autocomplete_fields = ["dashboard", "chart"]
    ordering = ["dashboard__title", "position", "id"]
