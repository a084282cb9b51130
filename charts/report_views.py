"""Thin views for report emails: subscribe to a dashboard, list and cancel one's subscriptions,
and the signed unsubscribe link every email carries (no sign-in: the signature is the authority).

Cancel deletes the subscription (and its delivery history); the email's unsubscribe link only
pauses it, with a note, so the person still sees it on their reports page and can cancel it there.
"""
from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.dates import WEEKDAYS
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from . import filters, grants, locale, periods, reports, schedules, tenancy
from .models import Dashboard, ReportSubscription, Tenant
from .views import with_tenant

CURRENT, PRESET = "current", "preset"
FREQUENCY_CHOICES = [
    (schedules.DAILY, gettext_lazy("Daily")),
    (schedules.WEEKLY, gettext_lazy("Weekly")),
    (schedules.MONTHLY, gettext_lazy("Monthly")),
]


# --- Which dates and filters a subscription keeps ----------------------------------------------


def kept_filters(tenant: Tenant, dashboard: Dashboard, query: Any) -> dict[str, str]:
    """The page's query as a subscription keeps it: only the params the dashboard offers the
    tenant, a preset period as its key (it rolls with each send), a typed date range as is, and
    the comparison. Bad values are dropped, as the page drops them."""
    rules = grants.tenant_rules(tenant)
    offered, cross_filters = filters.page_offers((tile.chart for tile in dashboard.tiles.all()), rules)
    parsed = filters.parse(query, offered, cross_filters=cross_filters)
    kept = dict(parsed.values)
    if parsed.period:
        kept.pop(filters.DATE_FROM, None)
        kept.pop(filters.DATE_TO, None)
        kept[filters.PERIOD] = parsed.period
    if parsed.compare:
        kept[filters.COMPARE] = parsed.compare
    return kept


def offers_dates(tenant: Tenant, dashboard: Dashboard) -> bool:
    offered, _cross = filters.page_offers((tile.chart for tile in dashboard.tiles.all()), grants.tenant_rules(tenant))
    return filters.DATE_FROM in offered and filters.DATE_TO in offered


def with_preset(kept: dict[str, str], period: str) -> dict[str, str]:
    """``kept`` with its dates replaced by the rolling ``period``."""
    rest = {k: v for k, v in kept.items() if k not in (filters.DATE_FROM, filters.DATE_TO, filters.PERIOD)}
    return {**rest, filters.PERIOD: period}


def describe_filters(kept: dict[str, str]) -> list[tuple[str, str]]:
    """(label, value) pairs of what a subscription keeps, for the form and the list."""
    shown = []
    for name, value in kept.items():
        if name == filters.PERIOD:
            shown.append((_("Period"), _(periods.PRESETS.get(value, value))))
        elif name == filters.COMPARE:
            shown.append((_("Comparison"), _(periods.COMPARISONS.get(value, value))))
        else:
            shown.append((_(filters.label_for(name)), value))
    return shown


# --- Form ------------------------------------------------------------------------------------------


class SubscribeForm(forms.Form):
    frequency = forms.ChoiceField(label=gettext_lazy("How often"), choices=FREQUENCY_CHOICES, initial=schedules.WEEKLY)
    weekday = forms.TypedChoiceField(
        label=gettext_lazy("Weekday"), choices=list(WEEKDAYS.items()), coerce=int, initial=0, required=False
    )
    day_of_month = forms.TypedChoiceField(
        label=gettext_lazy("Day of the month"),
        choices=[(n, str(n)) for n in range(1, 29)],
        coerce=int,
        initial=1,
        required=False,
    )
    send_time = forms.TimeField(
        label=gettext_lazy("Time"), initial="08:00", widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )
    dates = forms.ChoiceField(
        label=gettext_lazy("Which dates"),
        choices=[(CURRENT, gettext_lazy("The page's current filters")), (PRESET, gettext_lazy("A rolling period"))],
        initial=CURRENT,
        widget=forms.RadioSelect,
    )
    period = forms.ChoiceField(
        label=gettext_lazy("Period"),
        choices=[("", "—"), *((key, gettext_lazy(label)) for key, label in periods.PRESETS.items())],
        required=False,
    )
    include_csv = forms.BooleanField(label=gettext_lazy("Attach a CSV of each chart"), required=False)

    def __init__(self, *args: Any, offers_dates: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.offers_dates = offers_dates
        if not offers_dates:
            # Nothing to roll: the dashboard has no date range.
            del self.fields["dates"], self.fields["period"]

    def clean(self) -> dict[str, Any]:
        data = cast(dict[str, Any], super().clean())
        frequency = data.get("frequency")
        if frequency == schedules.WEEKLY and data.get("weekday") in (None, ""):
            self.add_error("weekday", _("Choose the weekday of a weekly report."))
        if frequency == schedules.MONTHLY and data.get("day_of_month") in (None, ""):
            self.add_error("day_of_month", _("Choose the day of a monthly report."))
        if self.offers_dates and data.get("dates") == PRESET and not data.get("period"):
            self.add_error("period", _("Choose the period the report covers."))
        return data


def _subscribe_page(
    request: HttpRequest, tenant: Tenant, board: Dashboard, form: SubscribeForm, kept: dict[str, str], *, status: int = 200
) -> HttpResponse:
    person = locale.PersonLocale.from_session(request.session.get(locale.SESSION_KEY))
    context = {
        "tenant": tenant,
        "dashboard": board,
        "form": form,
        "kept": describe_filters(kept),
        "time_zone": locale.time_zone_name(person, tenant),
        "query": request.GET.urlencode(),
    }
    return render(request, "charts/reports/subscribe.html", context, status=status)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
@with_tenant()
def subscribe(request: HttpRequest, tenant: Tenant, slug: str) -> HttpResponse:
    """GET: the form, with the page's filters (its query string) as "current filters". POST
    (to the same URL, query string included): the subscription, due from its next slot."""
    board = tenancy.dashboard_for(request, slug)
    kept = kept_filters(tenant, board, request.GET)
    dates = offers_dates(tenant, board)
    if request.method == "GET":
        return _subscribe_page(request, tenant, board, SubscribeForm(offers_dates=dates), kept)
    form = SubscribeForm(request.POST, offers_dates=dates)
    if not form.is_valid():
        return _subscribe_page(request, tenant, board, form, kept, status=400)
    data = form.cleaned_data
    subscription = ReportSubscription(
        user=cast(Any, request.user),  # signed in (login_required)
        tenant=tenant,
        dashboard=board,
        frequency=data["frequency"],
        weekday=data.get("weekday") or 0,
        day_of_month=data.get("day_of_month") or 1,
        send_time=data["send_time"].replace(second=0, microsecond=0),
        filters=with_preset(kept, data["period"]) if dates and data.get("dates") == PRESET else kept,
        include_csv=data["include_csv"],
    )
    person = locale.PersonLocale.from_session(request.session.get(locale.SESSION_KEY))
    subscription.next_run_at = reports.next_run_after(
        subscription, timezone.now(), time_zone=locale.time_zone_name(person, tenant)
    )
    subscription.save()
    messages.success(request, _("You will get %(dashboard)s by email.") % {"dashboard": board.title_in(request.LANGUAGE_CODE)})
    return redirect("charts:reports")


# --- The person's subscriptions --------------------------------------------------------------------


def _row(subscription: ReportSubscription, time_zone: str, language: str) -> dict[str, Any]:
    schedule = reports.schedule_of(subscription, time_zone)
    return {
        "subscription": subscription,
        "title": subscription.dashboard.title_in(language),
        "schedule": schedules.describe(schedule),
        "filters": describe_filters(reports.query_of(subscription)),
        "next_run_at": subscription.next_run_at if subscription.is_active else None,
        # Stored in LANGUAGE_CODE; the fixed ones ("Unsubscribed from the email") read in the page's.
        "paused_reason": _(subscription.paused_reason) if subscription.paused_reason else "",
    }


@never_cache
@login_required
@require_GET
@with_tenant()
def report_list(request: HttpRequest, tenant: Tenant) -> HttpResponse:
    person = locale.PersonLocale.from_session(request.session.get(locale.SESSION_KEY))
    time_zone = locale.time_zone_name(person, tenant)
    subscriptions = ReportSubscription.objects.of(request.user, tenant).select_related("dashboard")
    rows = [_row(s, time_zone, request.LANGUAGE_CODE) for s in subscriptions]
    return render(request, "charts/reports/list.html", {"tenant": tenant, "rows": rows, "time_zone": time_zone})


@login_required
@require_POST
@with_tenant()
def report_cancel(request: HttpRequest, tenant: Tenant, pk: int) -> HttpResponse:
    """Deletes one of the person's own subscriptions in the active tenant; anyone else's is 404."""
    subscription = get_object_or_404(ReportSubscription.objects.of(request.user, tenant).select_related("dashboard"), pk=pk)
    title = subscription.dashboard.title_in(request.LANGUAGE_CODE)
    subscription.delete()
    messages.success(request, _("You will no longer get %(dashboard)s by email.") % {"dashboard": title})
    return redirect("charts:reports")


# --- One-click unsubscribe -------------------------------------------------------------------------


@never_cache
@csrf_exempt  # the signed link is the authority; mail clients POST it without a session (RFC 8058)
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, signed: str) -> HttpResponse:
    """GET: a page with a confirm button (a link scanner's GET changes nothing). POST: paused
    with a note, from the page's button or a mail client's ``List-Unsubscribe=One-Click``."""
    if reports.read_token(signed) is None:
        return render(request, "charts/reports/bad_link.html", status=400)
    subscription = reports.subscription_of_token(signed)
    if subscription is None:  # a genuine link to a report cancelled since: nothing more is sent
        return render(request, "charts/reports/unsubscribe.html", {"gone": True})
    context = {
        "subscription": subscription,
        "title": subscription.dashboard.title_in(request.LANGUAGE_CODE),
        "done": request.method == "POST",
        "already": not subscription.is_active and request.method == "GET",
    }
    if request.method == "POST":
        reports.unsubscribe(subscription)
    return render(request, "charts/reports/unsubscribe.html", context)
