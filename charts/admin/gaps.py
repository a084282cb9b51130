"""Fail-closed gaps in the admin: a column on the chart and tenant changelists, computed once per
page, and a warning above one chart's or one tenant's change form, computed for that object only."""
from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.contrib.admin.views.main import ChangeList
from django.http import HttpRequest
from django.utils.html import format_html, format_html_join

from .. import checks


class GapChangeList(ChangeList):
    """A changelist that attaches each row's fail-closed gaps, computed once per page.

    ``gap_key`` is "chart" or "tenant": which side of the (chart, tenant) gap the rows are.
    """

    gap_key = "chart"

    def get_results(self, request: HttpRequest) -> None:
        super().get_results(request)
        gaps = checks.configuration_gaps()
        grouped = checks.gaps_by_chart(gaps) if self.gap_key == "chart" else checks.gaps_by_tenant(gaps)
        self.result_list = list(self.result_list)
        for obj in self.result_list:
            obj.panes_gaps = grouped.get(obj.pk, [])


class ChartGapChangeList(GapChangeList):
    gap_key = "chart"


class TenantGapChangeList(GapChangeList):
    gap_key = "tenant"


def gap_lines(gaps: list[checks.Gap], *, name_of: Callable[[checks.Gap], str]) -> str:
    if not gaps:
        return "-"
    return format_html_join(", ", "{} ({})", ((name_of(g), g.reason) for g in gaps))


def warn_of_gaps(
    request: HttpRequest, gaps: list[checks.Gap], message: str, *, name_of: Callable[[checks.Gap], str]
) -> None:
    """A warning above a change form listing ``gaps`` (``message`` has one ``{}`` for them)."""
    if gaps:
        messages.warning(request, format_html(message, gap_lines(gaps, name_of=name_of)))


def object_id_of(object_id: str) -> int | None:
    """The change view's id as an int, or None when it is not one (Django answers that with its
    own "does not exist" redirect)."""
    return int(object_id) if object_id.isascii() and object_id.isdigit() else None
