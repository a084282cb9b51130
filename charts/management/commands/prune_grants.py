"""Delete token grants that expired long ago: the audit trail keeps N days past expiry.

    manage.py prune_grants [--older-than-days 30] [--dry-run]
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from django.core.management.base import BaseCommand, CommandError, CommandParser

from charts.models import TokenGrant


class Command(BaseCommand):
    help = "Delete TokenGrants that expired more than N days ago (default 30)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--older-than-days", type=int, default=30, help="keep grants expired fewer days ago")
        parser.add_argument("--dry-run", action="store_true", help="only count what would be deleted")

    def handle(self, *args, older_than_days: int, dry_run: bool, **options) -> None:
        if older_than_days < 0:
            raise CommandError("--older-than-days must be 0 or more.")
        cutoff = datetime.now(timezone.utc) - timedelta(days=older_than_days)
        stale = TokenGrant.objects.expired_before(cutoff)
        if dry_run:
            count = stale.count()
            self.stdout.write(f"Would delete {count} token grant(s) expired before {cutoff:%Y-%m-%d %H:%M:%S} UTC.")
            return
        count, _ = stale.delete()
        self.stdout.write(f"Deleted {count} token grant(s) expired before {cutoff:%Y-%m-%d %H:%M:%S} UTC.")
