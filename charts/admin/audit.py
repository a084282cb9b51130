"""The audit of minted tokens: visible to staff who may view it, changeable by nobody."""
from __future__ import annotations

from datetime import datetime, timedelta
from datetime import timezone as dt_timezone

from django.conf import settings
from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ChangeList
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.timezone import make_aware

from ..models import TokenGrant
from .preview import pretty_json


def check_drill_down(params: dict[str, list[str]], field: str) -> None:
    """Refuse a date hierarchy drill-down (``<field>__year``, ``__month``, ``__day``) whose period
    Django cannot bound: IncorrectLookupParameters, which the admin answers with its "?e=1" redirect.

    Django builds the period [start, end) from these params and catches only a ValueError from the
    start; a year like 99999999999 (OverflowError), or an end past 9999-12-31 (year=9999, or its
    last month or day), escaped as a 500.
    """
    year = params.get(f"{field}__year")
    if year is None:
        return
    month, day = params.get(f"{field}__month"), params.get(f"{field}__day")
    try:
        start = datetime(int(year[-1]), int(month[-1] if month else 1), int(day[-1] if day else 1))
        if day:
            end = start + timedelta(days=1)
        elif month:
            end = (start + timedelta(days=32)).replace(day=1)
        else:
            end = start.replace(year=start.year + 1)
        if settings.USE_TZ:  # the database gets both in UTC, which may cross a bound too
            for moment in (start, end):
                make_aware(moment).astimezone(dt_timezone.utc)
    except (ValueError, OverflowError) as exc:
        raise IncorrectLookupParameters(exc) from exc


class DrillDownChangeList(ChangeList):
    """A changelist whose date hierarchy refuses drill-downs out of the datetime range."""

    def get_filters(self, request: HttpRequest):
        if self.date_hierarchy:
            check_drill_down(self.get_filters_params(), self.date_hierarchy)
        return super().get_filters(request)


@admin.register(TokenGrant)
class TokenGrantAdmin(admin.ModelAdmin):
    list_display = ["issued_at", "token_name", "user", "tenant", "workspace", "dashboard", "expires_at", "scope_count"]
    list_filter = ["tenant", "workspace", "issued_at"]
    search_fields = ["fingerprint", "user__username", "tenant__name", "tenant__slug", "dashboard__title"]
    list_select_related = ["user", "tenant", "workspace", "dashboard"]
    date_hierarchy = "issued_at"
    fields = [
        "id", "user", "tenant", "workspace", "dashboard", "issued_at", "expires_at", "fingerprint", "payload_json",
    ]
    readonly_fields = fields
    show_full_result_count = False

    def get_changelist(self, request: HttpRequest, **kwargs) -> type[ChangeList]:
        return DrillDownChangeList

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: TokenGrant | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: TokenGrant | None = None) -> bool:
        return False

    @admin.display(description="token name")
    def token_name(self, obj: TokenGrant) -> str:
        return obj.payload.get("name", "?") if isinstance(obj.payload, dict) else "?"

    @admin.display(description="scopes")
    def scope_count(self, obj: TokenGrant) -> int:
        return len(obj.payload.get("scopes", [])) if isinstance(obj.payload, dict) else 0

    @admin.display(description="payload")
    def payload_json(self, obj: TokenGrant) -> str:
        return format_html("<pre>{}</pre>", pretty_json(obj.payload))
