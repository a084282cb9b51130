"""Fixtures for the built-in host: tokens built with PyJWT directly (never charts.tokens — the
wall between the apps holds in tests too), a small orders datasource and pipes over it."""
from __future__ import annotations

import os
import time
from collections.abc import Callable

import jwt
import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import Client

from pipes.engine import Engine, runtime
from pipes.loading import load_rows
from pipes.models import Pipe, PipeParam

ORDERS = [
    ("2024-01-01", "acme", "Berlin", 10.0, 1, True),
    ("2024-01-02", "acme", "Paris", 20.0, 2, False),
    ("2024-01-03", "acme", "Berlin", 30.0, 3, True),
    ("2024-01-01", "globex", "Rome", 100.0, 4, True),
    ("2024-01-02", "globex", "Madrid", 200.0, 5, False),
]
ORDER_COLUMNS = [
    ("date", "Date"),
    ("company_id", "String"),
    ("city", "String"),
    ("amount", "Float"),
    ("quantity", "Int"),
    ("paid", "Boolean"),
]
SALES_SQL = """
SELECT date, company_id, city, amount, quantity, paid
FROM orders
WHERE company_id = {{ company_id }}
  AND ({{date_from}} IS NULL OR date >= {{ date_from }})
  AND ({{ min_quantity }} IS NULL OR quantity >= {{ min_quantity }})
  AND ({{ paid }} IS NULL OR paid = {{ paid }})
  AND city NOT LIKE '%ZZ%' -- a literal percent must survive binding
ORDER BY date, amount
"""


@pytest.fixture(autouse=True)
def _clear_cache() -> None:
    cache.clear()


@pytest.fixture
def admin_token() -> str:
    return os.environ[settings.PIPES_ADMIN_TOKEN_ENV]


@pytest.fixture
def make_token(admin_token: str) -> Callable[..., str]:
    """A Tinybird-style JWT; every part can be overridden to break one rule at a time."""

    def make(
        scopes: list[dict] | None = None,
        *,
        key: str | None = None,
        algorithm: str = "HS256",
        exp_in: int | None = 300,
        workspace_id: str | None = None,
        name: str = "panes:acme:1",
        limits: dict | None = None,
    ) -> str:
        now = int(time.time())
        payload: dict = {
            "workspace_id": settings.PIPES_WORKSPACE_ID if workspace_id is None else workspace_id,
            "name": name,
            "iat": now,
            "scopes": scopes if scopes is not None else [scope("sales", company_id="acme")],
        }
        if exp_in is not None:
            payload["exp"] = now + exp_in
        if limits is not None:
            payload["limits"] = limits
        return jwt.encode(payload, (key or admin_token).encode(), algorithm=algorithm)

    return make


def scope(resource: str, **fixed_params: object) -> dict:
    return {"type": "PIPES:READ", "resource": resource, "fixed_params": fixed_params}


@pytest.fixture
def orders(db) -> None:
    load_rows("orders", ORDER_COLUMNS, ORDERS, indexes=[("company_id", "date")])


@pytest.fixture
def sales(orders) -> Pipe:
    pipe = Pipe.objects.create(name="sales", description="Orders of one company.", sql=SALES_SQL)
    PipeParam.objects.create(pipe=pipe, name="company_id", type="String", required=True)
    PipeParam.objects.create(pipe=pipe, name="date_from", type="Date")
    PipeParam.objects.create(pipe=pipe, name="min_quantity", type="Int")
    PipeParam.objects.create(pipe=pipe, name="paid", type="Boolean")
    return pipe


class Api:
    """GET helpers for /v0/ with a Bearer token."""

    def __init__(self, client: Client) -> None:
        self.client = client

    def get(self, path: str, token: str | None = None, data: dict | None = None, **extra):
        if token is not None:
            extra["HTTP_AUTHORIZATION"] = f"Bearer {token}"
        return self.client.get(path, data or {}, **extra)

    def rows(self, path: str, token: str, data: dict | None = None) -> list[dict]:
        response = self.get(path, token, data)
        assert response.status_code == 200, response.content
        return response.json()["data"]


@pytest.fixture
def api(client: Client) -> Api:
    return Api(client)


@pytest.fixture
def engine() -> Engine:
    """The process's ClickHouse engine (one chDB folder per test process)."""
    return runtime.engine()
