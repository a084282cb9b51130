"""Report emails in the admin: subscriptions (with a "Resume" action for the ones Panes paused)
and their deliveries, read-only, so a failed send and its error are visible."""
from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .. import reports
from ..models import ReportDelivery, ReportSubscription

SCHEDULE_FIELDS = ("frequency", "weekday", "day_of_month", "send_time")


class DeliveryInline(admin.TabularInline):
    model = ReportDelivery
    extra = 0
    max_num = 0
    can_delete = False
    fields = ["scheduled_for", "status", "attempts", "next_attempt_at", "last_error", "sent_at"]
    readonly_fields = ["scheduled_for", "status", "attempts", "next_attempt_at", "last_error", "sent_at"]
    ordering = ["-scheduled_for"]
    show_change_link = True


@admin.register(ReportSubscription)
class ReportSubscriptionAdmin(admin.ModelAdmin):
    list_display = ["dashboard", "user", "tenant", "frequency", "is_active", "paused_reason", "next_run_at"]
    list_filter = ["is_active", "frequency", "tenant"]
    list_select_related = ["dashboard", "user", "tenant"]
    search_fields = ["user__username", "user__email", "dashboard__title", "tenant__name"]
    raw_id_fields = ["user", "tenant", "dashboard"]
    readonly_fields = ["next_run_at", "created_at"]
    fields = [
        "user", "tenant", "dashboard", "frequency", "weekday", "day_of_month", "send_time", "filters", "include_csv",
        "is_active", "paused_reason", "next_run_at", "created_at",
    ]
    inlines = [DeliveryInline]
    actions = ["resume"]

    def save_model(self, request: HttpRequest, obj: ReportSubscription, form: ModelForm, change: bool) -> None:
        # A new schedule (or a new subscription) starts from its next slot.
        if not change or any(name in form.changed_data for name in SCHEDULE_FIELDS) or obj.next_run_at is None:
            obj.next_run_at = reports.next_run_after(obj, timezone.now())
        super().save_model(request, obj, form, change)

    @admin.action(description=_("Resume the selected subscriptions (from their next slot)"))
    def resume(self, request: HttpRequest, queryset: QuerySet[ReportSubscription]) -> None:
        now = timezone.now()
        subscriptions = list(queryset.select_related("user", "tenant"))
        for subscription in subscriptions:
            reports.resume(subscription, now)
        count = len(subscriptions)
        self.message_user(
            request,
            ngettext("%(count)d subscription resumed.", "%(count)d subscriptions resumed.", count) % {"count": count},
            messages.SUCCESS,
        )


@admin.register(ReportDelivery)
class ReportDeliveryAdmin(admin.ModelAdmin):
    list_display = ["subscription", "scheduled_for", "status", "attempts", "next_attempt_at", "last_error", "sent_at"]
    list_filter = ["status"]
    list_select_related = ["subscription__dashboard", "subscription__user"]
    search_fields = ["subscription__user__username", "subscription__dashboard__title", "last_error"]
    date_hierarchy = "scheduled_for"
    readonly_fields = [
        "subscription", "scheduled_for", "status", "attempts", "next_attempt_at", "claimed_until", "last_error", "sent_at",
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: ReportDelivery | None = None) -> bool:
        return False
