"""Fixtures for the fuzz tests: a real pipe on the built-in host, over rows of two companies."""
from __future__ import annotations

import os
import time

import jwt
import pytest
from django.conf import settings

from pipes.loading import load_rows
from pipes.models import Pipe, PipeParam

ORDER_COLUMNS = [
    ("date", "Date"),
    ("company_id", "String"),
    ("city", "String"),
    ("amount", "Float"),
    ("quantity", "Int"),
    ("paid", "Boolean"),
]
ORDERS = [
    ("2024-01-01", "acme", "Berlin", 10.0, 1, True),
    ("2024-01-02", "acme", "Paris", 20.5, 2, False),
    ("2024-01-03", "acme", "Zürich", 30.0, 3, True),
    ("2024-01-01", "globex", "Rome", 100.0, 4, True),
    ("2024-01-02", "globex", "Madrid", 200.0, 5, False),
    ("2024-01-03", "initech", "Berlin", 7.0, 6, True),
]
# Every param type, each optional but the tenant's; a String param reaches the database as text.
SQL = """
SELECT date, company_id, city, amount, quantity, paid
FROM orders
WHERE company_id = {{ company_id }}
  AND ({{ city }} IS NULL OR city = {{ city }})
  AND ({{ date_from }} IS NULL OR date >= {{ date_from }})
  AND ({{ min_amount }} IS NULL OR amount >= {{ min_amount }})
  AND ({{ min_quantity }} IS NULL OR quantity >= {{ min_quantity }})
  AND ({{ paid }} IS NULL OR paid = {{ paid }})
  AND ({{ since }} IS NULL OR date >= {{ since }})
ORDER BY date, amount
"""
PARAMS = [
    ("company_id", "String", True),
    ("city", "String", False),
    ("date_from", "Date", False),
    ("min_amount", "Float", False),
    ("min_quantity", "Int", False),
    ("paid", "Boolean", False),
    ("since", "DateTime", False),
]


@pytest.fixture
def sales(db) -> Pipe:
    load_rows("orders", ORDER_COLUMNS, ORDERS, indexes=[("company_id", "date")])
    pipe = Pipe.objects.create(name="sales", sql=SQL)
    for name, kind, required in PARAMS:
        PipeParam.objects.create(pipe=pipe, name=name, type=kind, required=required)
    return pipe


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
