"""prune_grants: deletes grants that expired more than N days ago, and only those."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from charts.models import TokenGrant


def grant(expired_days_ago: float) -> TokenGrant:
    expires = datetime.now(timezone.utc) - timedelta(days=expired_days_ago)
    return TokenGrant.objects.create(
        payload={"name": "panes:acme:1", "scopes": []}, fingerprint="0" * 64,
        issued_at=expires - timedelta(minutes=15), expires_at=expires,
    )


def prune(*args: str) -> str:
    out = StringIO()
    call_command("prune_grants", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def grants(db) -> dict[str, TokenGrant]:
    return {"live": grant(-0.01), "recent": grant(3), "old": grant(31), "ancient": grant(400)}


def test_it_deletes_grants_expired_more_than_30_days_ago_by_default(grants) -> None:
    assert "Deleted 2 token grant(s)" in prune()
    assert set(TokenGrant.objects.values_list("pk", flat=True)) == {grants["live"].pk, grants["recent"].pk}


def test_it_takes_the_number_of_days(grants) -> None:
    assert "Deleted 3 token grant(s)" in prune("--older-than-days", "2")
    assert list(TokenGrant.objects.values_list("pk", flat=True)) == [grants["live"].pk]


def test_a_dry_run_only_counts(grants) -> None:
    assert "Would delete 2 token grant(s)" in prune("--dry-run")
    assert TokenGrant.objects.count() == 4


def test_it_refuses_a_negative_number_of_days(grants) -> None:
    with pytest.raises(CommandError, match="0 or more"):
        prune("--older-than-days", "-1")
    assert TokenGrant.objects.count() == 4
