"""The models and the migrations agree: makemigrations has nothing to write."""
from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command


@pytest.mark.django_db
def test_there_are_no_missing_migrations() -> None:
    out = StringIO()
    try:
        call_command("makemigrations", "--check", "--dry-run", stdout=out, stderr=StringIO())
    except SystemExit:  # raised when changes are found
        pytest.fail(f"Models changed without a migration:\n{out.getvalue()}")
