"""Fixtures for the built-in host: tokens built with PyJWT directly (never charts.tokens — the
wall between the apps holds in tests too) and a client for /v0/. The deployed project the
endpoint tests read is in tests/pipes/endpoint/conftest.py."""
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
            "scopes": scopes if scopes is not None else [scope("ep_sales", company_id="acme")],
        }
        if exp_in is not None:
            payload["exp"] = now + exp_in
        if limits is not None:
            payload["limits"] = limits
        return jwt.encode(payload, (key or admin_token).encode(), algorithm=algorithm)

    return make


def scope(resource: str, **fixed_params: object) -> dict:
    return {"type": "PIPES:READ", "resource": resource, "fixed_params": fixed_params}


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
