"""Send the report emails that are due: from cron or a systemd timer, every few minutes.

    manage.py send_reports [--dry-run] [--now 2026-12-01T08:00]

Safe to run twice or at the same time on two machines: each due slot becomes one delivery row
(unique per subscription and slot), and each delivery is claimed by exactly one run. A failed
send is retried by a later run (5, 10, 20… minutes later, at most 6 h apart) and never stops the
other recipients. One headless Chromium draws every report of the run.
"""
from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from charts import reports
from charts.models import ReportDelivery


def parse_now(text: str) -> datetime:
    """An ISO date-time; naive means UTC."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as error:
        raise CommandError(f"--now: {text!r} is not an ISO date-time such as 2026-12-01T08:00.") from error
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def eta(started: float, done: int, total: int) -> str:
    if done == 0:
        return "?"
    left = (time.monotonic() - started) / done * (total - done)
    return str(timedelta(seconds=round(left)))


class Command(BaseCommand):
    help = "Send the scheduled report emails that are due (and retry failed ones whose time has come)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="list what is due; change and send nothing")
        parser.add_argument("--now", type=parse_now, default=None, help="act as if it were this UTC time (tests, backfills)")

    def handle(self, *args, dry_run: bool, now: datetime | None, **options) -> None:
        site_url = settings.PANES_SITE_URL
        if not site_url:
            raise CommandError(
                "PANES_SITE_URL is not set. Set it to the address people open Panes at (scheme://host[:port]): "
                "report emails link there, and the headless browser that draws each report loads it from there."
            )
        now = now or timezone.now()
        if dry_run:
            self._dry_run(now)
            return
        planned = reports.plan(now)
        due = reports.due_deliveries(now)
        self.stdout.write(f"{len(planned)} new delivery(ies) planned; {len(due)} to send at {now:%Y-%m-%d %H:%M} UTC.")
        counts = {reports.SENT: 0, reports.SKIPPED: 0, reports.FAILED: 0, reports.GAVE_UP: 0, reports.TAKEN: 0}
        if due:
            from charts.render import Renderer  # Playwright loads only when there is something to draw

            started = time.monotonic()
            with Renderer() as renderer:
                for number, delivery_id in enumerate(due, 1):
                    outcome, line = self._one(delivery_id, renderer, now=now, site_url=site_url)
                    counts[outcome.status] += 1
                    self.stdout.write(f"[{number}/{len(due)}] {line} (ETA {eta(started, number, len(due))})")
        self.stdout.write(
            f"Done: {counts[reports.SENT]} sent, {counts[reports.SKIPPED]} skipped, "
            f"{counts[reports.FAILED]} failed (will retry), {counts[reports.GAVE_UP]} gave up"
            + (f", {counts[reports.TAKEN]} taken by another run" if counts[reports.TAKEN] else "")
            + "."
        )

    def _one(self, delivery_id: int, renderer, *, now: datetime, site_url: str) -> tuple[reports.Outcome, str]:
        delivery = reports.claim(delivery_id, now)
        if delivery is None:
            return reports.Outcome(reports.TAKEN), f"delivery {delivery_id} is taken by another run"
        subscription = delivery.subscription
        outcome = reports.deliver(delivery, renderer, now=now, site_url=site_url)
        who = subscription.user.email or subscription.user.get_username()
        what = f"{subscription.dashboard.title} to {who} ({subscription.tenant.name})"
        if outcome.status == reports.SENT:
            return outcome, f"sent {what}"
        if outcome.status == reports.SKIPPED:
            return outcome, f"skipped {what}: {outcome.detail}; subscription paused"
        if outcome.status == reports.FAILED:
            retry = f"{delivery.next_attempt_at:%Y-%m-%d %H:%M} UTC" if delivery.next_attempt_at else "?"
            return outcome, f"FAILED {what}: {outcome.detail}; retry after {retry}"
        return outcome, f"GAVE UP {what} after {delivery.attempts} attempts: {outcome.detail}"

    def _dry_run(self, now: datetime) -> None:
        subscriptions = list(reports.due_subscriptions(now))
        self.stdout.write(f"Due at {now:%Y-%m-%d %H:%M} UTC (dry run, nothing changed or sent):")
        for subscription in subscriptions:
            when = f"{subscription.next_run_at:%Y-%m-%d %H:%M} UTC" if subscription.next_run_at else "not yet scheduled"
            self.stdout.write(
                f"  subscription {subscription.pk}: {subscription.dashboard.title} to "
                f"{subscription.user.email or subscription.user.get_username()} ({subscription.tenant.name}), due {when}"
            )
        retries = ReportDelivery.objects.filter(pk__in=reports.due_deliveries(now)).select_related(
            "subscription__dashboard", "subscription__user"
        )
        for delivery in retries:
            self.stdout.write(
                f"  delivery {delivery.pk}: {delivery.subscription.dashboard.title} to "
                f"{delivery.subscription.user.get_username()}, {delivery.get_status_display().lower()}, "
                f"slot {delivery.scheduled_for:%Y-%m-%d %H:%M} UTC"
            )
        self.stdout.write(f"{len(subscriptions)} subscription(s) due, {len(retries)} delivery(ies) waiting.")
