"""Fixtures for the fuzz tests: a deployed Tinybird pipe on the built-in host (chDB), over rows of
three companies."""
from __future__ import annotations

import os
import time

import jwt
import pytest
from django.conf import settings

from tests.pipes.sales import sales, sales_release  # noqa: F401  (the deployed pipe fuzzed here)


@pytest.fixture
def acme_token() -> str:
    """A token like the ones Panes mints for Acme, built with PyJWT (not charts.tokens)."""
    now = int(time.time())
    payload = {
        "workspace_id": settings.PIPES_WORKSPACE_ID,
        "name": "panes:acme:1",
        "iat": now,
        "exp": now + 3600,
        "scopes": [{"type": "PIPES:READ", "resource": "sales", "fixed_params": {"company_id": "acme"}}],
    }
    return jwt.encode(payload, os.environ[settings.PIPES_ADMIN_TOKEN_ENV].encode(), algorithm="HS256")
