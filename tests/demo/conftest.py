"""The demo loaded small, on the test process's engine, and tokens built with PyJWT directly the
way a chart's are (never charts.tokens: the demo's figures are checked from outside)."""
from __future__ import annotations

import os
import time
from collections.abc import Iterator
from io import StringIO
from typing import Any

import jwt
import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client

from pipes.engine import Engine, runtime

ROWS = 3000


def demo(**options: Any) -> str:
    """``manage.py demo`` with ``options``; what it printed."""
    out = StringIO()
    call_command("demo", stdout=out, stderr=StringIO(), **options)
    return out.getvalue()


@pytest.fixture
def engine() -> Engine:
    return runtime.engine()


@pytest.fixture
def loaded(db: None, engine: Engine) -> Iterator[Engine]:
    """The demo with ``ROWS`` orders; afterwards its marker is cleared, so a test that added rows
    of its own leaves the next run to reload."""
    demo(rows=ROWS)
    yield engine
    engine.command("TRUNCATE TABLE demo_load")


def admin_token() -> str:
    return os.environ[settings.PIPES_ADMIN_TOKEN_ENV]


def token(pipe: str, **fixed_params: object) -> str:
    """A Tinybird JWT reading ``pipe``, as Panes mints one for a tenant's chart."""
    now = int(time.time())
    payload = {
        "workspace_id": settings.PIPES_WORKSPACE_ID,
        "name": "panes:demo-tests",
        "iat": now,
        "exp": now + 300,
        "scopes": [{"type": "PIPES:READ", "resource": pipe, "fixed_params": fixed_params}],
    }
    return jwt.encode(payload, admin_token().encode(), algorithm="HS256")


def get(client: Client, pipe: str, bearer: str, **params: str) -> Any:
    return client.get(f"/v0/pipes/{pipe}.json", params, HTTP_AUTHORIZATION=f"Bearer {bearer}")


def rows(client: Client, pipe: str, bearer: str, **params: str) -> list[dict[str, Any]]:
    response = get(client, pipe, bearer, **params)
    assert response.status_code == 200, response.content
    data: list[dict[str, Any]] = response.json()["data"]
    return data
