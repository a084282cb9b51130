"""Panes' admin site: Django's own, answering two crafted query strings the way the admin answers
bad input instead of with a 500, on every registered model (Panes', auth's and axes' alike).

- An empty ``?_to_field=``: Django refuses a field that may not be referenced (a 400), but lets an
  empty one through to the change and delete views, which then look up the field named "".
- A date hierarchy drill-down whose period does not fit in a datetime (``?issued_at__year=9999``,
  ``99999999999``, or the last month or day of 9999): Django bounds the period with the next
  year, month or day and catches only the ValueError of the start. Such a drill-down gets the
  changelist's own "?e=1" redirect, as any other incorrect lookup does.

``PanesAdminConfig`` replaces ``django.contrib.admin`` in INSTALLED_APPS to make this the site.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from datetime import timezone as dt_timezone
from functools import wraps
from typing import Any, TypeVar, cast

from django.conf import settings
from django.contrib.admin import AdminSite, ModelAdmin
from django.contrib.admin.apps import AdminConfig
from django.contrib.admin.exceptions import DisallowedModelAdminToField
from django.contrib.admin.options import TO_FIELD_VAR, IncorrectLookupParameters
from django.contrib.admin.views.main import ERROR_FLAG
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils.timezone import make_aware

View = TypeVar("View", bound=Callable[..., Any])


def check_drill_down(params: Mapping[str, Sequence[str]], field: str) -> None:
    """IncorrectLookupParameters unless the period of ``<field>__year``, ``__month`` and
    ``__day`` (each the last of its values, as Django reads them) fits in a datetime, in UTC too."""
    year = params.get(f"{field}__year")
    if not year:
        return
    month, day = params.get(f"{field}__month"), params.get(f"{field}__day")
    try:
        start = datetime(int(year[-1]), int(month[-1] if month else 1), int(day[-1] if day else 1))
        # The end of the period, as ChangeList.get_filters computes it.
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


class PanesAdminSite(AdminSite):
    def admin_view(self, view: View, cacheable: bool = False) -> View:
        model_admin = getattr(view, "__self__", None)
        drill_field = (
            model_admin.date_hierarchy
            if isinstance(model_admin, ModelAdmin) and view.__name__ == "changelist_view"
            else None
        )

        @wraps(view)
        def checked(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if request.POST.get(TO_FIELD_VAR, request.GET.get(TO_FIELD_VAR)) == "":
                raise DisallowedModelAdminToField("The field '' cannot be referenced.")
            if drill_field:
                try:
                    check_drill_down(dict(request.GET.lists()), drill_field)
                except IncorrectLookupParameters:
                    return HttpResponseRedirect(f"{request.path}?{ERROR_FLAG}=1")
            return view(request, *args, **kwargs)

        return cast(View, super().admin_view(checked, cacheable))


class PanesAdminConfig(AdminConfig):
    default_site = "config.admin.PanesAdminSite"
