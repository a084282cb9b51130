"""Fail-closed gaps in the admin: a column on the chart and tenant changelists, computed once per
page, and a warning above one chart's or one tenant's change form, computed for that object only."""
from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.admin.views.main import ChangeList
from django.http import HttpRequest, HttpResponse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext

from .. import checks


class GapChangeList(ChangeList):
    """A changelist that attaches each row's fail-closed gaps, computed once per page, on the
    side (``gap_side`` of its admin: "chart" or "tenant") of the (chart, tenant) gap the rows are."""

    def get_results(self, request: HttpRequest) -> None:
        super().get_results(request)
        gaps = checks.configuration_gaps()
        side = self.model_admin.gap_side  # type: ignore[attr-defined]
        grouped = checks.gaps_by_chart(gaps) if side == "chart" else checks.gaps_by_tenant(gaps)
        self.result_list = list(self.result_list)
        for obj in self.result_list:
            obj.panes_gaps = grouped.get(obj.pk, [])


class GapReportMixin:
    """Admin mixin for the chart and tenant admins: each row's gaps on the changelist
    (``gap_names``), and a warning above the change form of the object's own gaps.

    ``gap_side``: "chart" or "tenant", the side of the gap this admin's rows are;
    ``gap_warning``: the change form's message, with one ``{}`` for the names of the other side
    (English, marked with gettext_noop: shown in the admin's language).
    """

    gap_side: str
    gap_warning: str

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[ChangeList]:
        return GapChangeList

    def gap_names(self, obj: Any) -> str:
        return gap_lines(getattr(obj, "panes_gaps", []), side=self.gap_side)

    def change_view(self, request: HttpRequest, object_id: str, form_url: str = "", extra_context=None) -> HttpResponse:
        pk = object_id_of(object_id)
        if request.method == "GET" and pk is not None:
            if self.gap_side == "chart":
                gaps = checks.configuration_gaps(chart_id=pk)
            else:
                gaps = checks.configuration_gaps(tenant_id=pk)
            if gaps:
                messages.warning(request, format_html(gettext(self.gap_warning), gap_lines(gaps, side=self.gap_side)))
        return super().change_view(request, object_id, form_url, extra_context)  # type: ignore[misc]


def gap_lines(gaps: list[checks.Gap], *, side: str) -> str:
    """The other side's names of ``gaps`` with their reasons: tenants on a chart's, charts on a tenant's."""
    if not gaps:
        return "-"
    names = ((g.tenant.name if side == "chart" else g.chart.title, g.reason) for g in gaps)
    return format_html_join(", ", "{} ({})", names)


def object_id_of(object_id: str) -> int | None:
    """The change view's id as an int, or None when it is not one (Django answers that with its
    own "does not exist" redirect)."""
    return int(object_id) if object_id.isascii() and object_id.isdigit() else None
