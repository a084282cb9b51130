"""Scheduled report emails: what is due, claiming a send, sending one, pausing, retries.

``send_reports`` runs ``plan`` (one delivery row per due slot: the unique (subscription,
scheduled_for) pair means a second or concurrent run creates nothing twice), then for each due
delivery ``claim`` (an atomic UPDATE that only one run wins) and ``deliver`` it. Each recipient's
report is drawn for that person: their user, their tenant, their language and time zone, their
subscription's filters, by the same renderer as the viewer's exports. A failure of one delivery
(render or SMTP) is recorded on it with a retry time and never stops the others.
"""
from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Protocol

from django.conf import settings
from django.core import signing
from django.db.models import Q
from django.utils import translation

from . import locale, schedules
from .models import Dashboard, Membership, ReportDelivery, ReportSubscription

if TYPE_CHECKING:
    from .render import Audience, DashboardRender

log = logging.getLogger(__name__)

UNSUBSCRIBE_SALT = "panes.report-unsubscribe"
# A run holds a delivery this long; a run that died lets another take it over afterwards.
CLAIM_FOR = timedelta(minutes=10)
FIRST_RETRY = timedelta(minutes=5)
LONGEST_RETRY = timedelta(hours=6)
ERROR_LENGTH = 500

SENT, SKIPPED, FAILED, GAVE_UP, TAKEN = "sent", "skipped", "failed", "gave_up", "taken"


class DashboardRenderer(Protocol):
    """What ``deliver`` needs of charts.render.Renderer."""

    def dashboard(self, audience: Audience, dashboard: Dashboard, query: Mapping[str, str], *, base_url: str,
                  pdf: bool = True, tiles_at_most: int | None = None) -> DashboardRender: ...


# --- Schedules -----------------------------------------------------------------------------------


def time_zone_of(subscription: ReportSubscription, person: locale.PersonLocale | None = None) -> str:
    """The zone the subscription's send time is read in: its person's, else its tenant's."""
    person = person if person is not None else locale.of_person(subscription.user)
    return locale.time_zone_name(person, subscription.tenant)


def schedule_of(subscription: ReportSubscription, time_zone: str) -> schedules.Schedule:
    return schedules.Schedule(
        frequency=subscription.frequency,
        send_time=subscription.send_time,
        time_zone=time_zone,
        weekday=subscription.weekday,
        day_of_month=subscription.day_of_month,
    )


def next_run_after(subscription: ReportSubscription, after: datetime, *, time_zone: str | None = None) -> datetime:
    return schedules.next_run(schedule_of(subscription, time_zone or time_zone_of(subscription)), after)


# --- Unsubscribe links ---------------------------------------------------------------------------


def unsubscribe_token(subscription: ReportSubscription) -> str:
    """The signed value of the subscription's one-click unsubscribe link: the same in every
    email, with no expiry (an old email's link must still work)."""
    return signing.Signer(salt=UNSUBSCRIBE_SALT).sign_object([subscription.pk, subscription.user_id])


def read_token(token: str) -> tuple[int, int] | None:
    """(subscription id, user id) of a genuine unsubscribe link, else None."""
    try:
        value = signing.Signer(salt=UNSUBSCRIBE_SALT).unsign_object(token)
    except (signing.BadSignature, ValueError):  # ValueError: a signed value that is not JSON
        return None
    if not (isinstance(value, list) and len(value) == 2 and all(type(v) is int for v in value)):
        return None
    return value[0], value[1]


def subscription_of_token(token: str) -> ReportSubscription | None:
    """The subscription a link names, or None when the signature or the pair does not hold (or
    it was cancelled since)."""
    pair = read_token(token)
    if pair is None:
        return None
    subscription_id, user_id = pair
    return (
        ReportSubscription.objects.select_related("dashboard", "tenant", "user")
        .filter(pk=subscription_id, user_id=user_id)
        .first()
    )


def unsubscribe(subscription: ReportSubscription) -> None:
    with translation.override(settings.LANGUAGE_CODE):
        reason = translation.gettext("Unsubscribed from the email")
    ReportSubscription.objects.filter(pk=subscription.pk).update(is_active=False, paused_reason=reason)


def resume(subscription: ReportSubscription, now: datetime) -> None:
    """Active again from the next slot after ``now`` (missed slots are not sent)."""
    subscription.is_active = True
    subscription.paused_reason = ""
    subscription.next_run_at = next_run_after(subscription, now)
    subscription.save(update_fields=["is_active", "paused_reason", "next_run_at"])


# --- What is due ---------------------------------------------------------------------------------


def due_subscriptions(now: datetime):
    return (
        ReportSubscription.objects.active()
        .filter(Q(next_run_at__lte=now) | Q(next_run_at__isnull=True))
        .select_related("user", "tenant", "dashboard")
        .order_by("next_run_at", "pk")
    )


def plan(now: datetime) -> list[ReportDelivery]:
    """Step 1: a delivery for every subscription due at ``now``, each moved on to its next slot.

    A subscription that missed several slots (the command did not run) gets one delivery, for
    the latest; one without a next_run_at gets it from its creation time, and is due only when
    that is past.
    """
    created: list[ReportDelivery] = []
    for subscription in due_subscriptions(now):
        try:
            schedule = schedule_of(subscription, time_zone_of(subscription))
        except ValueError as error:  # a schedule saved around the forms (shell, fixtures): pause only it
            log.warning("Report subscription %s has an invalid schedule: %s", subscription.pk, error)
            with translation.override(settings.LANGUAGE_CODE):
                reason = translation.gettext("Its schedule is not valid: %(error)s") % {"error": error}
            ReportSubscription.objects.filter(pk=subscription.pk).update(is_active=False, paused_reason=reason[:300])
            continue
        if subscription.next_run_at is None:
            subscription.next_run_at = schedules.next_run(schedule, subscription.created_at)
            if subscription.next_run_at > now:
                subscription.save(update_fields=["next_run_at"])
                continue
        # max(): a time zone changed since the slot was set must not bring back a slot already sent.
        slot = max(schedules.latest_run(schedule, now), subscription.next_run_at)
        delivery, is_new = ReportDelivery.objects.get_or_create(subscription=subscription, scheduled_for=slot)
        if is_new:
            created.append(delivery)
        subscription.next_run_at = schedules.next_run(schedule, now)
        subscription.save(update_fields=["next_run_at"])
    return created


def _claimable(now: datetime) -> Q:
    waiting = Q(status=ReportDelivery.Status.PENDING) | Q(
        status=ReportDelivery.Status.FAILED, next_attempt_at__lte=now
    )
    return waiting & (Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))


def due_deliveries(now: datetime) -> list[int]:
    """The ids of the deliveries to attempt at ``now``, oldest slot first."""
    return list(
        ReportDelivery.objects.filter(_claimable(now), subscription__is_active=True)
        .order_by("scheduled_for", "pk")
        .values_list("pk", flat=True)
    )


def claim(delivery_id: int, now: datetime) -> ReportDelivery | None:
    """Step 2: the delivery, held by this run until ``now + CLAIM_FOR``; None if another run
    holds it or it is no longer due. One UPDATE: of two runs, exactly one changes the row."""
    won = ReportDelivery.objects.filter(_claimable(now), pk=delivery_id).update(claimed_until=now + CLAIM_FOR)
    if won != 1:
        return None
    return ReportDelivery.objects.select_related(
        "subscription__user", "subscription__tenant", "subscription__dashboard"
    ).get(pk=delivery_id)


# --- Sending one ---------------------------------------------------------------------------------


def pause_reason(subscription: ReportSubscription) -> str:
    """Why this report must not be drawn or sent any more ("" when it may), in LANGUAGE_CODE (it
    shows in the admin and on the person's reports page)."""
    user, tenant, dashboard = subscription.user, subscription.tenant, subscription.dashboard
    _ = translation.gettext
    with translation.override(settings.LANGUAGE_CODE):
        if not user.is_active:
            return _("The account %(user)s is no longer active") % {"user": user.get_username()}
        if not tenant.is_active:
            return _("%(tenant)s is no longer active") % {"tenant": tenant.name}
        if not Membership.objects.filter(user=user, tenant=tenant, is_active=True).exists():
            return _("Membership in %(tenant)s is no longer active") % {"tenant": tenant.name}
        if not Dashboard.objects.visible_to(tenant).filter(pk=dashboard.pk).exists():
            return _("%(dashboard)s is no longer shared with %(tenant)s") % {
                "dashboard": dashboard.title,
                "tenant": tenant.name,
            }
        if not user.email:
            return _("No email address")
    return ""


def retry_delay(attempts: int) -> timedelta:
    """5 minutes after the first failure, doubling, at most 6 hours."""
    return min(FIRST_RETRY * 2 ** max(attempts - 1, 0), LONGEST_RETRY)


def short_error(error: BaseException) -> str:
    """One line naming the failure; never the message's content or a setting's value."""
    text = " ".join(f"{type(error).__name__}: {error}".split())
    return text[:ERROR_LENGTH]


@dataclass(frozen=True)
class Outcome:
    status: str  # sent | skipped | failed | gave_up | taken
    detail: str = ""


def deliver(delivery: ReportDelivery, renderer: DashboardRenderer, *, now: datetime, site_url: str) -> Outcome:
    """Steps 3 and 4 for one claimed delivery: skip and pause, or draw and send, or record the failure."""
    from . import render, report_email  # the renderer needs Playwright: only a sending run loads it

    subscription = delivery.subscription
    reason = pause_reason(subscription)
    if reason:
        subscription.is_active = False
        subscription.paused_reason = reason
        subscription.save(update_fields=["is_active", "paused_reason"])
        _finish(delivery, ReportDelivery.Status.SKIPPED, last_error=reason)
        return Outcome(SKIPPED, reason)
    person = locale.of_person(subscription.user)
    audience = render.Audience(
        user=subscription.user,
        tenant=subscription.tenant,
        language=locale.language(person),
        time_zone=time_zone_of(subscription, person),
    )
    delivery.attempts += 1
    try:
        drawn = renderer.dashboard(
            audience, subscription.dashboard, query_of(subscription), base_url=site_url, pdf=True,
            tiles_at_most=report_email.CONTENT_WIDTH,  # drawn for the email's column, not shrunk into it
        )
        message = report_email.compose(subscription, drawn, audience=audience, site_url=site_url)
        message.send()
    except Exception as error:  # noqa: BLE001 - any failure is this recipient's alone
        return _failed(delivery, error, now)
    delivery.sent_at = now
    _finish(delivery, ReportDelivery.Status.SENT, last_error="")
    return Outcome(SENT)


def query_of(subscription: ReportSubscription) -> dict[str, str]:
    """The dashboard query the report is drawn with: the subscription's filters (a preset
    period resolves on the day of the send, a fixed range stays fixed)."""
    filters = subscription.filters if isinstance(subscription.filters, dict) else {}
    return {str(k): str(v) for k, v in filters.items() if v not in (None, "")}


def _failed(delivery: ReportDelivery, error: Exception, now: datetime) -> Outcome:
    text = short_error(error)
    log.warning(
        "Report delivery %s (subscription %s) failed, attempt %s: %s",
        delivery.pk, delivery.subscription_id, delivery.attempts, text,
    )
    if delivery.attempts >= settings.PANES_REPORT_MAX_ATTEMPTS:
        delivery.next_attempt_at = None
        _finish(delivery, ReportDelivery.Status.GAVE_UP, last_error=text)
        return Outcome(GAVE_UP, text)
    delivery.next_attempt_at = now + retry_delay(delivery.attempts)
    _finish(delivery, ReportDelivery.Status.FAILED, last_error=text)
    return Outcome(FAILED, text)


def _finish(delivery: ReportDelivery, status: str, *, last_error: str) -> None:
    delivery.status = status
    delivery.last_error = last_error
    delivery.claimed_until = None
    if status != ReportDelivery.Status.FAILED:
        delivery.next_attempt_at = None
    delivery.save(update_fields=["status", "last_error", "claimed_until", "attempts", "next_attempt_at", "sent_at"])
